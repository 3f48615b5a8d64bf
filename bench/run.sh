#!/usr/bin/env bash
# Foundation benchmarks, on this machine, against 127.0.0.1 only.
#
#   bench/run.sh            all of them
#   RESIDENTS=300000 DURATION=10 bench/run.sh
#
# Needs: a release build (built here), wrk (apt-get install -y wrk), python3.
# Measures:
#   1. `xiangzhi demo --residents $RESIDENTS` until /healthz answers (target < 30 s)
#   2. XLSX import of 100,000 people end to end on SQLite (target >= 20,000 rows/s)
#   3. the village cadre's household list page under wrk, 64 connections (target >= 8,000 req/s, p99 < 15 ms)
#   4. resident memory of an idle server (target < 60 MB) and cold start to the first 200 (target < 200 ms)
set -euo pipefail
cd "$(dirname "$0")/.."
RESIDENTS=${RESIDENTS:-300000}
DURATION=${DURATION:-10}
PORT=${PORT:-18080}
WORK=$(mktemp -d /tmp/xiangzhi-bench.XXXXXX)
BIN=${BIN:-target/release/xiangzhi}
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p xiangzhi --locked

wait_ready() { for _ in $(seq 1 6000); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0; sleep 0.01; done; return 1; }
now_ms() { date +%s%3N; }

echo "== 1. demo with $RESIDENTS residents until serving"
t0=$(now_ms)
"$BIN" demo --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" --residents "$RESIDENTS" > "$WORK/demo.log" 2>&1 &
DEMO=$!
wait_ready
t1=$(now_ms)
grep -E "generated" "$WORK/demo.log" || true
echo "demo --residents $RESIDENTS: serving after $(( t1 - t0 )) ms"

echo "== 3. household list page, 64 connections, ${DURATION}s"
SESSION=$(python3 - "$WORK/d/demo-accounts.json" "$PORT" <<'PY'
import json, re, sys, urllib.request, urllib.parse, http.cookiejar
accounts = json.load(open(sys.argv[1]))
cadre = [a for a in accounts if a["username"] == "village_cadre"][0]
base = f"http://127.0.0.1:{sys.argv[2]}"
jar = http.cookiejar.CookieJar()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
html = opener.open(base + "/login").read().decode()
csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
data = urllib.parse.urlencode({"csrf": csrf, "username": cadre["username"], "password": cadre["password"], "otp": "", "next": "/"}).encode()
try:
    opener.open(base + "/login", data)
except urllib.error.HTTPError as e:
    if e.code != 303: raise
print([c.value for c in jar if c.name == "xz_session"][0])
PY
)
curl -fs -o /dev/null -H "Cookie: xz_session=$SESSION" "http://127.0.0.1:$PORT/households"
wrk -t2 -c64 -d"${DURATION}s" --latency -H "Cookie: xz_session=$SESSION" "http://127.0.0.1:$PORT/households" | tee "$WORK/wrk.txt"

echo "== 4. idle memory and cold start (database of step 1)"
kill "$DEMO"; wait "$DEMO" 2>/dev/null || true
t0=$(now_ms)
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
SERVE=$!
wait_ready
t1=$(now_ms)
echo "cold start to first 200: $(( t1 - t0 )) ms (includes process start, migrations check and this script's 10 ms polling)"
sleep 2
echo "idle RSS: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVE/status)"
curl -fs -o /dev/null -H "Cookie: xz_session=$SESSION" "http://127.0.0.1:$PORT/households" || true
sleep 1
echo "RSS after one page: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVE/status)"
kill "$SERVE"; wait "$SERVE" 2>/dev/null || true

echo "== 2. XLSX import of 100,000 people"
"$BIN" bench import --data-dir "$WORK/i" --rows 100000
