#!/usr/bin/env bash
# Runs this gateway through the shared loopback harness (../shared/bench/run-gateway-bench.sh),
# the one that measured Portkey for BASELINE-portkey.md, so the figures compare directly.
#   bash bench/shared-harness.sh                 # all phases (~5 min)
#   PHASES="c1 stream" bash bench/shared-harness.sh
#   STORE=external bash bench/shared-harness.sh   # the store in its own process on the load core, as a
#                                                 # remote DynamoDB would be (default: embedded, as npm start)
#   EXTRA_ENV="NODE_OPTIONS=--require=$PWD/bench/keep-awake.cjs" bash bench/shared-harness.sh
#                                                 # a measuring aid: the gateway's core kept awake (RESULTS.md)
#   NODE_ARGS="--interrupt-budget=16384" bash bench/shared-harness.sh   # node (V8) flags for the gateway
# Needs the harness's tools once: bash ../shared/bench/setup-tools.sh (npm registry only).
# The gateway runs as `npm start` does (embedded dynalite, INFO logs), bundled by esbuild so that
# start-up time is the gateway's and not the TypeScript loader's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/bench/ports-lock.sh"
shared=${SHARED_BENCH:-$repo/../shared/bench}
work=$(mktemp -d /tmp/aigw-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

npx --prefix "$repo" esbuild "$repo/lib/local/main.ts" --bundle --platform=node --target=node20 --packages=external \
  --outfile="$repo/.bench-build/local.js" --log-level=warning

# The shared harness's fake upstream (one process, both dialects) behind an OpenAI-compatible and an Anthropic provider.
config="$repo/bench/fake-upstream.config.json"
token=bench-admin-token
run=(node ${NODE_ARGS:-} .bench-build/local.js)
[[ "${STORE:-embedded}" == external ]] && run=(bash "$repo/bench/with-external-store.sh" "$work/store" "${run[@]}")
# Create the key once in the data dir; each gateway the harness starts finds it there.
( cd "$repo"; env ${EXTRA_ENV:-} PORT=18787 GATEWAY_CONFIG="$config" GATEWAY_DATA_DIR="$work/data" GATEWAY_ADMIN_TOKEN=$token \
  "${run[@]}" >"$work/prep.log" 2>&1 & echo $! >"$work/prep.pid" )
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18787/health >/dev/null && break; sleep 0.1; done
key=$(curl -sf -XPOST http://127.0.0.1:18787/admin/keys -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"bench"}' \
  | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).key')
pid=$(cat "$work/prep.pid"); kill "$pid"
# The data dir is LevelDB: the next gateway can open it only once this one has let go.
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done

export GATEWAY_NAME=${GATEWAY_NAME:-aigw}
export GATEWAY_CWD=$repo
export GATEWAY_CMD="${run[*]}"
export GATEWAY_ENV="${EXTRA_ENV:-} PORT=8787 GATEWAY_CONFIG=$config GATEWAY_DATA_DIR=$work/data GATEWAY_ADMIN_TOKEN=$token FAKE_OPENAI_KEY=sk-fake-openai FAKE_ANTHROPIC_KEY=sk-ant-fake"
export GATEWAY_URL=http://127.0.0.1:8787
export GATEWAY_MEASURE=listener PROBE_HEADSTART=1
export GW_HEADERS_OPENAI="{\"authorization\":\"Bearer $key\"}"
export GW_HEADERS_ANTHROPIC=${GW_HEADERS_ANTHROPIC-"{\"authorization\":\"Bearer $key\"}"}
bash "$shared/run-gateway-bench.sh"
