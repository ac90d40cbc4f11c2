#!/usr/bin/env bash
# Side-by-side: the same relay workload against seam, a Node `ws` relay, a
# Socket.IO rooms relay and a bare tokio-tungstenite relay, in one run on
# this machine. Prints one table and writes target/bench/results.jsonl and
# target/bench/latency.png. Everything targets 127.0.0.1 and stops by itself.
#
#   bench/compare.sh            # full run (19,000 idle conns, 5,000 pairs at 1/s)
#   QUICK=1 bench/compare.sh    # a short smoke run
#   BASELINE=/path/to/old/seam bench/compare.sh
#                               # also an older seam binary, in the same run
#   ONLY="seam seam-sqlite" bench/compare.sh
#                               # only these servers
#   ROUNDS=3 bench/compare.sh   # every relay run three times, the servers
#                               # interleaved round by round; the table gives
#                               # medians and spreads, the targets per round
#
# seam runs twice: on the memory store (`seam`) and on its default, SQLite
# (`seam-sqlite`); a BASELINE binary the same way (`before`, `before-sqlite`).
set -euo pipefail
cd "$(dirname "$0")/.."

IDLE=${IDLE:-19000}
PAIRS_RATE=${PAIRS_RATE:-5000}
FLAT_PAIRS=${FLAT_PAIRS:-100}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
ROUNDS=${ROUNDS:-1}
if [ -n "${QUICK:-}" ]; then IDLE=1000; PAIRS_RATE=300; SECONDS_PER_RUN=3; fi
OUT=target/bench
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
ulimit -n 20000

echo "== building"
cargo build --release -q -p seam -p seam-bench
if ! command -v node >/dev/null; then echo "node is required for the peer servers" >&2; exit 1; fi
python3 -c "import matplotlib" 2>/dev/null || python3 -m pip install --quiet matplotlib || echo "(no matplotlib: the table only)"
(cd bench/peers && npm install --silent --no-audit --no-fund >/dev/null)

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start NAME PORT CMD...: starts a server, waits for its port.
start() {
  local name=$1 port=$2; shift 2
  rm -rf target/bench-data  # every seam start on a fresh database
  "$@" > "$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$name did not start" >&2; exit 1
}

# Printed whole once it ends: `tee /dev/stderr` would reopen a log this
# script's output is redirected to, and truncate it.
bench() {
  local out
  out=$(./target/release/seam-bench "$@")
  printf '%s\n' "$out" >&2
  grep '^{' <<<"$out" | sed "s/^{/{\"round\": $ROUND, /" >> "$RESULTS"
}

# run NAME PROTO PORT CMD...: idle (first round only), flat-out and
# fixed-rate runs against a fresh server each.
run() {
  local name=$1 proto=$2 port=$3; shift 3
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return 0; fi
  echo "== $name (round $ROUND of $ROUNDS)"
  if [ "$ROUND" = 1 ]; then
    start "$name" "$port" "$@"; bench idle --addr 127.0.0.1:"$port" --proto "$proto" --pid "$SERVER_PID" --conns "$IDLE" --label "$name"; kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  start "$name" "$port" "$@"; bench relay --addr 127.0.0.1:"$port" --proto "$proto" --pid "$SERVER_PID" --pairs "$FLAT_PAIRS" --seconds "$SECONDS_PER_RUN" --label "$name"; kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  for pairs in 500 2000 "$PAIRS_RATE"; do
    start "$name" "$port" "$@"; bench relay --addr 127.0.0.1:"$port" --proto "$proto" --pid "$SERVER_PID" --pairs "$pairs" --rate 1 --seconds "$SECONDS_PER_RUN" --label "$name"; kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  done
}

SQLITE_CONFIG="$OUT/seam-bench-sqlite.toml"
sed -e 's/^kind = "memory"/kind = "sqlite"/' bench/seam-bench.toml > "$SQLITE_CONFIG"
seam_run() {
  local name=$1 bin=$2
  run "$name" seam 9001 "$bin" serve --config bench/seam-bench.toml --log warn
  run "$name-sqlite" seam 9001 "$bin" serve --config "$SQLITE_CONFIG" --log warn
}
for ROUND in $(seq "$ROUNDS"); do
  seam_run seam ./target/release/seam
  if [ -n "${BASELINE:-}" ]; then seam_run before "$BASELINE"; fi
  run bare-relay plain 9002 ./target/release/bare-relay 127.0.0.1:9002
  run node-ws plain 9003 node bench/peers/ws-relay.js 9003
  run socket.io socketio 9004 node bench/peers/socketio-relay.js 9004
done

echo
python3 bench/table.py "$RESULTS" "$OUT/latency.png"
