#!/usr/bin/env bash
# Runs a command (the gateway) with its DynamoDB in a dynalite process of its own, pinned to
# another core (STORE_CPU, default 0: the load generator's), the way a remote DynamoDB's work
# never lands on the gateway's core. Used by `STORE=external bash bench/shared-harness.sh`.
#   bench/with-external-store.sh DATA_DIR COMMAND...
set -euo pipefail
dir=$1; shift
port=${STORE_PORT:-4569}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
taskset -c "${STORE_CPU:-0}" node "$repo/node_modules/dynalite/cli.js" --port "$port" --path "$dir" &
store=$!
trap 'kill $store 2>/dev/null; wait $store 2>/dev/null' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
DYNAMODB_ENDPOINT=http://127.0.0.1:$port AWS_REGION=${AWS_REGION:-us-east-1} "$@" &
child=$!
trap 'kill $child 2>/dev/null; wait $child 2>/dev/null; kill $store 2>/dev/null; wait $store 2>/dev/null' EXIT TERM INT
wait $child
