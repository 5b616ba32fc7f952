#!/usr/bin/env bash
# p50 of one request at a time through the local gateway (pinned as the shared harness pins: gateway
# on cpu1, client and fake upstream on cpu0) for a key without limits, one with a requests-per-minute
# limit (one conditional write before each call) and one with a budget (a hold before, a settlement after).
#   bash bench/limits-cost.sh            N=2000 requests per key per round, ROUNDS=2 (alternated)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd); shared=${SHARED_BENCH:-$repo/../shared/bench}; work=$(mktemp -d); N=${N:-2000}; ROUNDS=${ROUNDS:-2}
cd "$repo"
source "$repo/bench/ports-lock.sh"
npx esbuild lib/local/main.ts --bundle --platform=node --target=node20 --packages=external --outfile="$repo/.bench-build/limits.js" --log-level=warning
cat >"$work/config.json" <<JSON
{ "providers": [ { "id": "f", "type": "openai-compatible", "baseUrl": "http://127.0.0.1:9100/v1", "accounts": [ { "id": "a" } ] } ],
  "models": [ { "name": "gpt-4o-mini", "price": { "input": 0.15, "output": 0.6 }, "targets": [ { "provider": "f", "model": "gpt-4o-mini" } ] } ] }
JSON
PORT=9100 taskset -c 0 node "$shared/fake-upstream.mjs" >"$work/up.log" 2>&1 & up=$!
PORT=18788 GATEWAY_CONFIG="$work/config.json" GATEWAY_DATA_DIR="$work/data" GATEWAY_ADMIN_TOKEN=t taskset -c 1 node "$repo/.bench-build/limits.js" >"$work/gw.log" 2>&1 & gw=$!
trap 'kill $up $gw 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18788/health >/dev/null && break; sleep 0.1; done
mk() { curl -sf -XPOST http://127.0.0.1:18788/admin/keys -H 'authorization: Bearer t' -d "$1" | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).key'; }
plain=$(mk '{"name":"plain"}'); rpm=$(mk '{"name":"rpm","limits":{"requestsPerMinute":1000000000}}'); budget=$(mk '{"name":"budget","limits":{"usdPerDay":1000000}}')
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}'
for r in $(seq 1 "$ROUNDS"); do
  for k in plain rpm budget; do
    key=${!k}
    URL=http://127.0.0.1:18788/v1/chat/completions HEADERS_JSON="{\"authorization\":\"Bearer $key\"}" BODY="$body" N=$N WARMUP_N=500 taskset -c 0 node "$shared/seq-bench.mjs" \
      | node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(process.argv[1], "p50", j.total_ms?.p50 ?? JSON.stringify(j).slice(0,300))' "$k"
  done
done
