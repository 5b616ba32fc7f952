// Where a proxy's thread spends its CPU in each stage of a request: the samples of a `perf record
// -g -k CLOCK_MONOTONIC` (as `perf script -F tid,time,ip,sym` prints them) that fall inside each
// request's stages (bench/stage-marks.cjs), per request, by the innermost JavaScript function on the
// sample's stack (its callees inlined or native included; `JS:*` optimised, `JS:^` baseline code).
// On-CPU time near a stage's median means the thread ran throughout it; far below, it waited.
//   node bench/stage-cpu.mjs PERF_SCRIPT MARKS_JSON [HZ=5000] [TOP=12]
// bench/stage-cpu.sh runs the harness, perf and this together.
import { readFileSync } from 'node:fs';

const [scriptFile, marksFile, hz = '5000', top = '12'] = process.argv.slice(2);
const { pid, marks } = JSON.parse(readFileSync(marksFile, 'utf8'));
const samples = []; // [µs, stack (innermost first)] of the main thread (its tid is the process's pid)
let tid;
let time;
let stack = [];
const flush = () => {
  if (tid === String(pid) && stack.length) samples.push([time, stack]);
};
for (const line of readFileSync(scriptFile, 'utf8').split('\n')) {
  if (line && !/^\s/.test(line)) {
    flush();
    const [t, stamp] = line.trim().split(/\s+/);
    tid = t;
    time = Number.parseFloat(stamp) * 1e6;
    stack = [];
  } else if (line.trim()) stack.push(line.trim().split(/\s+/).slice(1).join(' '));
}
flush();
samples.sort((a, b) => a[0] - b[0]);
const times = samples.map(([t]) => t);
const firstAt = (t) => {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
// Only requests the recording covers whole.
const covered = marks.filter((m) => times.length && m.start >= times[0] && (m.first ?? m.start) <= times.at(-1));
console.log(`${samples.length} samples of thread ${pid}; ${covered.length} of ${marks.length} requests inside the recording`);
const stages = { plan: ['start', 'created'], send: ['created', 'sent'], wait: ['sent', 'answered'], chunk: ['answered', 'chunk'], relay: ['chunk', 'first'], lead: ['start', 'first'] };
const usPerSample = 1e6 / Number(hz);
for (const [name, [from, to]] of Object.entries(stages)) {
  const rows = covered.filter((m) => m[from] !== undefined && m[to] !== undefined);
  if (!rows.length) continue;
  const durations = rows.map((m) => m[to] - m[from]).sort((a, b) => a - b);
  const byFunction = new Map();
  let inside = 0;
  for (const m of rows) {
    for (let i = firstAt(m[from]); i < samples.length && times[i] <= m[to]; i++) {
      inside++;
      const frames = samples[i][1];
      const key = (frames.find((f) => f.startsWith('JS:')) ?? frames[0]).slice(0, 110);
      byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
    }
  }
  const perRequest = (count) => ((count * usPerSample) / rows.length).toFixed(1);
  console.log(`== ${name} (${from} → ${to}): ${rows.length} requests, median ${durations[durations.length >> 1]} µs, on CPU ${perRequest(inside)} µs a request`);
  for (const [key, count] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`  ${perRequest(count).padStart(7)}  ${key}`);
}
