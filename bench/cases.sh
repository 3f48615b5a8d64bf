#!/usr/bin/env bash
# Case engine benchmarks, on this machine, against 127.0.0.1 only.
#
#   bench/cases.sh                    all of them
#   CASES=1000000 DURATION=10 bench/cases.sh
#
# Needs: a release build (built here), wrk (apt-get install -y wrk), python3.
# Measures:
#   1. case intake over HTTP on SQLite, 64 connections, each case acknowledged only after a
#      durable commit (WAL, synchronous=FULL) with its audit record and timeline entry
#      (target >= 10,000 cases/s)
#   2. with $CASES cases: load time, the escalation sweep (target < 2 s), the overdue queue
#      page at 64 connections (target p99 < 15 ms), the search page at 64 connections
#      (target p99 < 20 ms), server memory (target < 150 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${CASES:-1000000}
DURATION=${DURATION:-10}
PORT=${PORT:-18081}
WORK=$(mktemp -d /tmp/xiangzhi-cases.XXXXXX)
BIN=${BIN:-target/release/xiangzhi}
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p xiangzhi --locked

wait_ready() { for _ in $(seq 1 6000); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0; sleep 0.01; done; return 1; }

# token USERNAME DATA_DIR: an API token (computes the TOTP code when the role needs one).
token() {
python3 - "$2/demo-accounts.json" "$PORT" "$1" <<'PY'
import base64, hashlib, hmac, json, struct, sys, time, urllib.request
accounts = json.load(open(sys.argv[1]))
a = [x for x in accounts if x["username"] == sys.argv[3]][0]
otp = ""
if a["totp_secret"]:
    key = base64.b32decode(a["totp_secret"] + "=" * (-len(a["totp_secret"]) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    otp = "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000)
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[2]}/api/v1/auth/login",
    data=json.dumps({"username": a["username"], "password": a["password"], "otp": otp}).encode(),
    headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
}
area_of() { python3 -c "import json,sys; print([a for a in json.load(open('$2/demo-accounts.json')) if a['username']=='$1'][0]['area_code'])"; }
count_cases() { python3 -c "import sqlite3; print(sqlite3.connect('$1/xiangzhi.db').execute('SELECT COUNT(*) FROM cases').fetchone()[0])"; }

echo "== 1. case intake over HTTP, 64 connections, ${DURATION}s"
"$BIN" demo --data-dir "$WORK/a" --listen "127.0.0.1:$PORT" --residents 20000 > "$WORK/a.log" 2>&1 &
SRV=$!
wait_ready
TOKEN=$(token village_cadre "$WORK/a")
AREA=$(area_of village_cadre "$WORK/a")
before=$(count_cases "$WORK/a")
wrk -t2 -c64 -d"${DURATION}s" --latency -s bench/intake.lua "http://127.0.0.1:$PORT" -- "$TOKEN" "$AREA" | tee "$WORK/intake.txt"
after=$(count_cases "$WORK/a")
echo "cases written and committed: $(( after - before )) ($(( (after - before) / DURATION )) per second over ${DURATION}s)"
kill "$SRV"; wait "$SRV" 2>/dev/null || true

echo "== 2. $CASES cases"
"$BIN" bench cases --data-dir "$WORK/m" --cases "$CASES"
echo "-- search index built from the database"
/usr/bin/time -f "reindex: %e s, peak RSS %M KB" "$BIN" reindex --data-dir "$WORK/m"
"$BIN" serve --data-dir "$WORK/m" --listen "127.0.0.1:$PORT" > "$WORK/m.log" 2>&1 &
SRV=$!
wait_ready
for who in village_cadre county_staff; do
  T=$(token "$who" "$WORK/m")
  curl -fs -o /dev/null -H "Authorization: Bearer $T" "http://127.0.0.1:$PORT/cases?queue=overdue"
  echo "-- overdue queue page as $who"
  wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $T" "http://127.0.0.1:$PORT/cases?queue=overdue"
  # The first search after a start loads the segmenter's dictionary (about half a second):
  # one search first, so the figures are of a running server.
  curl -fs -o /dev/null -H "Authorization: Bearer $T" "http://127.0.0.1:$PORT/cases/search?q=%E8%B7%AF%E7%81%AF"
  echo "-- search page as $who (16 queries, by relevance and newest, pages 1 and 2)"
  wrk -t2 -c64 -d"${DURATION}s" --latency -s bench/search.lua "http://127.0.0.1:$PORT" -- "$T"
done
echo "server RSS after the load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SRV/status) ($(grep -E 'RssAnon|RssFile' /proc/$SRV/status | tr -s ' \t\n' ' '))"
kill "$SRV"; wait "$SRV" 2>/dev/null || true
