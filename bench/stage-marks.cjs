// Marks of each request's stages inside a proxy's process, for bench/stage-cpu.mjs to lay over a
// `perf record` of the same minutes (bench/stage-cpu.sh does both). Preload it:
//   node -r bench/stage-marks.cjs …
// Like bench/stages.cjs it reads only node's and undici's diagnostics channels (nothing in the
// gateway is marked), so it marks any build and the bare proxy too (which has only start and first).
// Times are µs on the monotonic clock, the one `perf record -k CLOCK_MONOTONIC` stamps samples with:
//   start     node has parsed the request's head          created  the upstream request is made (undici)
//   sent      its head is written                         answered the upstream answer's head is parsed
//   chunk     the answer's first body chunk is received   first    the first body write to the client
// The last STAGE_MARKS_RING requests (5000) are written as JSON ({ pid, marks }) to STAGE_MARKS_OUT
// at exit and on SIGUSR2 (no writes while it measures).
'use strict';
const { subscribe } = require('node:diagnostics_channel');
const { isMainThread } = require('node:worker_threads');

if (isMainThread && process.env.STAGE_MARKS_OUT) {
  const ring = Number(process.env.STAGE_MARKS_RING || 5000);
  const now = () => Number(process.hrtime.bigint() / 1000n);
  const marks = [];
  const firsts = new WeakMap(); // node's ServerResponse → its request's marks
  let current; // the marks of the request whose pipeline runs (one at a time, as measured)
  const dump = () => {
    try {
      require('node:fs').writeFileSync(process.env.STAGE_MARKS_OUT, JSON.stringify({ pid: process.pid, marks }));
    } catch {
      // A measuring aid: a failed write must not bring the gateway down.
    }
  };
  process.on('exit', dump);
  process.on('SIGUSR2', dump);
  subscribe('http.server.request.start', ({ response }) => {
    current = { start: now() };
    marks.push(current);
    if (marks.length > ring) marks.shift();
    firsts.set(response, current);
  });
  const once = (key, after) => () => {
    if (current && current[key] === undefined && (after === undefined || current[after] !== undefined)) current[key] = now();
  };
  subscribe('undici:request:create', once('created'));
  subscribe('undici:client:sendHeaders', once('sent'));
  subscribe('undici:request:headers', once('answered', 'sent'));
  subscribe('undici:request:bodyChunkReceived', once('chunk', 'answered'));
  require('./first-writes.cjs').onFirstWrite((res) => {
    const m = firsts.get(res);
    if (m) m.first = now();
  });
}
