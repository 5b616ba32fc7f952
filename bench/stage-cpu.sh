#!/usr/bin/env bash
# Where the gateway's thread spends its CPU in each stage of one scenario of the shared harness
# (bench/stage-marks.cjs marks each request's stages, `perf record` samples every thread on the
# monotonic clock while that scenario runs, bench/stage-cpu.mjs lays one over the other). Needs
# perf (linux-perf) and the harness's tools (../shared/bench/setup-tools.sh). Loopback only; the run is
# the harness's (~3 min). The marks and perf's own cost slow the gateway: compare stages, not totals.
#   PHASE=stream_20chunks_delay5ms SCENARIO=gw_openai bash bench/stage-cpu.sh
#   PHASE=stream_20chunks_delay0ms PERF_SECS=1 bash bench/stage-cpu.sh
# Env: PHASE (a phase of the harness's log, default the 5 ms stream phase), SCENARIO (gw_openai),
# PERF_SECS (how long to record once it starts, 15), HZ (5000), TOP (functions per stage, 12),
# PHASES (the harness's, "load c1 stream"). The marks are written when the harness stops the gateway
# (the harness runs in a network namespace of its own, where this script cannot signal it sooner).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
phase=${PHASE:-stream_20chunks_delay5ms}
scenario=${SCENARIO:-gw_openai}
work=$(mktemp -d /tmp/aigw-stage-cpu.XXXXXX)
log="$work/harness.log"
: >"$log"
(
  for _ in $(seq 1 1200); do grep -q "sequential $phase $scenario" "$log" && break; sleep 0.25; done
  perf record -a -g -k CLOCK_MONOTONIC -F "${HZ:-5000}" -o "$work/perf.data" -- sleep "${PERF_SECS:-15}" >/dev/null 2>&1
) &
watcher=$!
NODE_ARGS="--perf-basic-prof-only-functions -r $repo/bench/stage-marks.cjs" EXTRA_ENV="STAGE_MARKS_OUT=$work/marks.json ${EXTRA_ENV:-}" \
  PHASES="${PHASES:-load c1 stream}" REPEATS=1 bash "$repo/bench/shared-harness.sh" >"$log" 2>&1
wait "$watcher"
perf script -i "$work/perf.data" -F tid,time,ip,sym 2>/dev/null >"$work/perf.txt"
node "$repo/bench/stage-cpu.mjs" "$work/perf.txt" "$work/marks.json" "${HZ:-5000}" "${TOP:-12}"
echo "(files in $work)"
