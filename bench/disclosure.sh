#!/usr/bin/env bash
# Disclosure benchmarks, on this machine, against 127.0.0.1 only.
#
#   bench/disclosure.sh
#   YEARS=5 AUDIT=1000000 DURATION=10 bench/disclosure.sh
#
# Needs: a release build (built here), wrk (apt-get install -y wrk).
# Measures:
#   1. `xiangzhi verify` over AUDIT records in all (audit chain plus the villages'
#      publication chains, walked side by side), from a cold process (target < 5 s)
#   2. the public village page of a village holding YEARS of publications, no login,
#      64 connections on SQLite (target >= 10,000 req/s, p99 < 10 ms); then the online copy
#      of one publication (rendered every time, not cached).
set -euo pipefail
cd "$(dirname "$0")/.."
YEARS=${YEARS:-5}
AUDIT=${AUDIT:-1000000}
DURATION=${DURATION:-10}
PORT=${PORT:-18082}
WORK=$(mktemp -d /tmp/xiangzhi-disclosure.XXXXXX)
BIN=${BIN:-target/release/xiangzhi}
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p xiangzhi --locked

wait_ready() { for _ in $(seq 1 6000); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0; sleep 0.01; done; return 1; }

echo "== building a county with $YEARS years of publications and $AUDIT chained records"
"$BIN" bench disclosure --data-dir "$WORK/d" --years "$YEARS" --audit "$AUDIT"

echo "== 1. xiangzhi verify (cold process)"
/usr/bin/time -f "wall %e s, max RSS %M KB" "$BIN" verify --data-dir "$WORK/d"

echo "== 2. the public village page, 64 connections, ${DURATION}s"
"$BIN" serve --data-dir "$WORK/d" --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
SRV=$!
wait_ready
curl -fs "http://127.0.0.1:$PORT/public/" > "$WORK/index.html"
VILLAGE=$(grep -o '/public/villages/[0-9]*' "$WORK/index.html" | sed -n 1p)
curl -fs "http://127.0.0.1:$PORT$VILLAGE" > "$WORK/village.html"
echo "page: $VILLAGE ($(wc -c < "$WORK/village.html") bytes, $(grep -o '/public/publications/' "$WORK/village.html" | wc -l) links to publications of this year)"
wrk -t2 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$VILLAGE"
PUB=$(grep -o '/public/publications/[0-9a-f-]*' "$WORK/village.html" | sed -n 1p)
echo "== 3. one publication's online copy (not cached), 64 connections, ${DURATION}s"
wrk -t2 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$PUB"
echo "server RSS: $(ps -o rss= -p "$SRV") KB"
