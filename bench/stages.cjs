// Where a request's time goes inside a proxy's process, one request at a time, from node's and
// undici's diagnostics channels (nothing in the gateway's code is marked, so it times any build,
// and the bare Node proxy too). Preload it: node -r bench/stages.cjs … (bench/alternate.sh does
// with STAGES=1). Every STAGES_EVERY requests (1000) it writes to stderr one line of medians, µs:
//   in        the request's start (node has parsed its head) to the upstream request's head
//             written (undici; the gateway's pipeline and undici's request on the way)
//   upstream  that write to the upstream answer's head parsed (the upstream, the network, the parse)
//   out       the answer's head to the client's answer handed to the kernel (`finish`): for a
//             stream, its whole length, not its first byte
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
  const rows = { in: [], upstream: [], out: [], process: [] };
  const now = () => performance.now();
  subscribe('http.server.request.start', ({ request }) => {
    current = { start: now() };
    open.set(request, current);
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
    if (marks.answered !== undefined) {
      rows.in.push(marks.sent - marks.start);
      rows.upstream.push(marks.answered - marks.sent);
      rows.out.push(end - marks.answered);
    }
    if (rows.process.length < every) return;
    const median = (xs) => (xs.length ? (xs.sort((a, b) => a - b)[xs.length >> 1] * 1000).toFixed(1) : '-');
    process.stderr.write(`stages µs p50 (${rows.process.length} requests): in ${median(rows.in)} | upstream ${median(rows.upstream)} | out ${median(rows.out)} | process ${median(rows.process)}\n`);
    for (const key of Object.keys(rows)) rows[key] = [];
  });
}
