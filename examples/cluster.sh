#!/usr/bin/env bash
# Three seam nodes on this machine, sharing PostgreSQL (127.0.0.1:5432,
# database `test`, schema `seam_demo`) and Redis (127.0.0.1:6379): node 1 on
# 127.0.0.1:8081, node 2 on 127.0.0.2:8082, node 3 on 127.0.0.3:8083. Starts
# PostgreSQL and Redis first when they are not running (.ci/services).
# Routing (examples/cluster.toml) spans the nodes: a customer on one node is
# offered to an available agent on another, and they share one session.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/services >/dev/null
cargo build --release -q
secret=${SEAM_AUTH_HS256_SECRET:-cluster-demo-secret-0123456789}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for n in 1 2 3; do
  SEAM_AUTH_HS256_SECRET=$secret \
  SEAM_POSTGRES_URL=${SEAM_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} \
  SEAM_POSTGRES_SCHEMA=${SEAM_POSTGRES_SCHEMA:-seam_demo} \
  SEAM_REDIS_URL=${SEAM_REDIS_URL:-redis://127.0.0.1:6379} \
    target/release/seam serve --config examples/cluster.toml \
      --listen "127.0.0.$n:808$n" --data-dir ".seam/node$n" &
  pids+=($!)
done
echo "three nodes up; mint tokens with:"
echo "  SEAM_AUTH_HS256_SECRET=$secret target/release/seam token --role customer --sub alice"
wait
