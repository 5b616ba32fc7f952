// Where a request's time goes inside a proxy's process, one request at a time, from node's and
// undici's diagnostics channels (nothing in the gateway's code is marked, so it times any build,
// and the bare Node proxy too). Preload it: node -r bench/stages.cjs … (bench/alternate.sh does
// with STAGES=1). Every STAGES_EVERY requests (1000) it writes to stderr one line of medians, µs:
//   plan      the request's start (node has parsed its head) to the upstream request's creation
//             (undici's `create`: the gateway's own pipeline)
//   in        the request's start to the upstream request's head written (plan, then undici's
//             request on its way)
//   upstream  that write to the upstream answer's head parsed (the upstream, the network, the parse)
//   out       the answer's head to the client's answer handed to the kernel (`finish`): for a
//             stream, its whole length, not its first byte
//   chunk     the answer's head to its first body chunk received (undici)
//   first     the answer's head to the first body write to the client (a stream's first byte;
//             for a whole answer, its `end`)
//   lead      the request's start to that first body write (the bare proxy too)
//   process   the request's start to that finish: all of the above (the bare proxy has only this)
// The upstream's marks go to the request that started last: one request at a time, as alternate.sh
// sends them, they are its own; under concurrent load only `process` means anything.
'use strict';
const { subscribe } = require('node:diagnostics_channel');
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  const every = Number(process.env.STAGES_EVERY || 1000);
  const open = new WeakMap(); // node's IncomingMessage → its marks
  let current; // the marks of the request whose pipeline is running (one at a time, as measured)
  const rows = { plan: [], in: [], upstream: [], chunk: [], first: [], out: [], lead: [], process: [] };
  const now = () => performance.now();
  const firsts = new WeakMap(); // node's ServerResponse → its request's marks
  subscribe('http.server.request.start', ({ request, response }) => {
    current = { start: now() };
    open.set(request, current);
    firsts.set(response, current);
  });
  // The first body write to the client (`first`).
  require('./first-writes.cjs').onFirstWrite((res) => {
    const marks = firsts.get(res);
    if (marks) marks.first = now();
  });
  subscribe('undici:request:create', () => {
    if (current && current.created === undefined) current.created = now();
  });
  subscribe('undici:request:bodyChunkReceived', () => {
    if (current && current.answered !== undefined && current.chunk === undefined) current.chunk = now();
  });
  subscribe('undici:client:sendHeaders', () => {
    if (current && current.sent === undefined) current.sent = now();
  });
  subscribe('undici:request:headers', () => {
    if (current && current.sent !== undefined && current.answered === undefined) current.answered = now();
  });
  subscribe('http.server.response.finish', ({ request }) => {
    const marks = open.get(request);
    if (!marks) return;
    const end = now();
    rows.process.push(end - marks.start);
    if (marks.first !== undefined) rows.lead.push(marks.first - marks.start);
    if (marks.answered !== undefined) {
      rows.in.push(marks.sent - marks.start);
      rows.upstream.push(marks.answered - marks.sent);
      rows.out.push(end - marks.answered);
      if (marks.first !== undefined) rows.first.push(marks.first - marks.answered);
      if (marks.created !== undefined) rows.plan.push(marks.created - marks.start);
      if (marks.chunk !== undefined && marks.first !== undefined) rows.chunk.push(marks.chunk - marks.answered);
    }
    if (rows.process.length < every) return;
    const median = (xs) => (xs.length ? (xs.sort((a, b) => a - b)[xs.length >> 1] * 1000).toFixed(1) : '-');
    process.stderr.write(`stages µs p50 (${rows.process.length} requests): plan ${median(rows.plan)} | in ${median(rows.in)} | upstream ${median(rows.upstream)} | chunk ${median(rows.chunk)} | first ${median(rows.first)} | out ${median(rows.out)} | lead ${median(rows.lead)} | process ${median(rows.process)}\n`);
    for (const key of Object.keys(rows)) rows[key] = [];
  });
}
