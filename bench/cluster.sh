#!/usr/bin/env bash
# Cluster benchmarks, in one run on this machine: 1, 2 and 3 seam nodes on
# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379), both started (or
# installed) by .ci/services. Prints one line per run and appends JSON
# records to target/bench/cluster.jsonl. Everything targets loopback and
# stops by itself.
#
#   bench/cluster.sh            # full run (3 x 19,000 idle, 5,000 pairs at 1/s)
#   QUICK=1 bench/cluster.sh    # a short smoke run
#
# Server CPU sums every seam node; the engines' CPU (PostgreSQL backends and
# Redis) is reported beside it, per delivered message.
set -euo pipefail
cd "$(dirname "$0")/.."

IDLE=${IDLE:-19000}
PAIRS_RATE=${PAIRS_RATE:-5000}
FLAT_PAIRS=${FLAT_PAIRS:-100}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
if [ -n "${QUICK:-}" ]; then IDLE=1000; PAIRS_RATE=300; SECONDS_PER_RUN=3; fi
OUT=target/bench
mkdir -p "$OUT"
RESULTS="$OUT/cluster.jsonl"
: > "$RESULTS"
ulimit -n 20000

bash .ci/services >/dev/null
echo "== building"
cargo build --release -q -p seam -p seam-bench

SCHEMA=bench_cluster
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

psql_q() { PGOPTIONS='--client-min-messages=warning' psql -h 127.0.0.1 -U postgres -d test -q -c "$1"; }

# nodes N: starts N nodes on a fresh schema, at 127.0.0.K:910K; sets NODES
# (their addresses), NODE_PIDS and ENGINE_PIDS.
nodes() {
  local n=$1
  stop_nodes
  psql_q "DROP SCHEMA IF EXISTS $SCHEMA CASCADE"
  NODES=""; NODE_PIDS=""
  for k in $(seq 1 "$n"); do
    local config="$OUT/cluster-node$k.toml"
    sed -e "s/^listen = .*/listen = \"127.0.0.$k:910$k\"/" \
        -e "s|^data_dir = .*|data_dir = \"target/bench-data/node$k\"|" \
        -e 's/^kind = "memory"/kind = "postgres"/' bench/seam-bench.toml > "$config"
    cat >> "$config" <<EOF
url = "postgres://postgres@127.0.0.1:5432/test"
schema = "$SCHEMA"

[cluster]
redis_url = "redis://127.0.0.1:6379"
channel = "$SCHEMA"
EOF
    ./target/release/seam serve --config "$config" --log warn > "$OUT/cluster-node$k.log" 2>&1 &
    PIDS+=($!)
    NODE_PIDS="${NODE_PIDS:+$NODE_PIDS,}$!"
    NODES="${NODES:+$NODES,}127.0.0.$k:910$k"
    for _ in $(seq 100); do
      if (exec 3<>/dev/tcp/127.0.0.$k/910$k) 2>/dev/null; then break; fi
      sleep 0.1
    done
  done
  sleep 1 # the dispatcher lease is taken, every node heard
  local redis_pid
  redis_pid=$(redis-cli -h 127.0.0.1 info server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')
  ENGINE_PIDS="$(pgrep -d, -x postgres || true)${redis_pid:+,$redis_pid}"
  ENGINE_PIDS=${ENGINE_PIDS#,}
}

stop_nodes() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  PIDS=()
}

# Printed whole once it ends: `tee /dev/stderr` would reopen a log this
# script's output is redirected to, and truncate it.
bench() {
  local out
  out=$(./target/release/seam-bench "$@")
  printf '%s\n' "$out" >&2
  grep '^{' <<<"$out" >> "$RESULTS"
}

relay() {
  local label=$1; shift
  bench relay --nodes "$NODES" --pids "$NODE_PIDS" --engine-pids "$ENGINE_PIDS" \
    --seconds "$SECONDS_PER_RUN" --label "$label" "$@"
}

echo "== flat out, $FLAT_PAIRS pairs"
nodes 1; relay "1 node" --pairs "$FLAT_PAIRS"
nodes 2; relay "2 nodes, cross-node" --pairs "$FLAT_PAIRS" --cross
nodes 3; relay "3 nodes, cross-node" --pairs "$FLAT_PAIRS" --cross

echo "== $PAIRS_RATE pairs x 1 msg/s, 2 nodes"
nodes 2; relay "2 nodes, same node" --pairs "$PAIRS_RATE" --rate 1
nodes 2; relay "2 nodes, cross-node" --pairs "$PAIRS_RATE" --rate 1 --cross

echo "== idle connections, 3 nodes x $IDLE"
nodes 3
k=0
IFS=, read -ra ADDRS <<< "$NODES"
IFS=, read -ra NPIDS <<< "$NODE_PIDS"
idle_pids=()
for addr in "${ADDRS[@]}"; do
  ./target/release/seam-bench idle --addr "$addr" --pid "${NPIDS[$k]}" --conns "$IDLE" \
    --label "node $((k + 1)) of 3" > "$OUT/cluster-idle$k.out" &
  idle_pids+=($!)
  k=$((k + 1))
done
for p in "${idle_pids[@]}"; do wait "$p"; done
for k in 0 1 2; do cat "$OUT/cluster-idle$k.out"; grep '^{' "$OUT/cluster-idle$k.out" >> "$RESULTS"; done
stop_nodes
psql_q "DROP SCHEMA IF EXISTS $SCHEMA CASCADE"

echo "== durable acks: PostgreSQL against SQLite (embedded engine)"
./target/release/seam-bench durability --seconds "$SECONDS_PER_RUN"
python3 bench/cluster_plot.py "$RESULTS" "$OUT/cluster.svg"
