// One new Lambda instance, as far as Node goes: loads the proxy bundle (argv[2]) and serves two
// requests through its handler, as the streaming runtime would call it. Prints one line,
// `COLD {...}`, with milliseconds: Node's own start, loading the bundle, the first request, the next.
'use strict';
const { Writable } = require('node:stream');

// What Lambda's Node runtime installs before it loads a streaming handler.
globalThis.awslambda = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: { from: (stream, prelude) => Object.assign(stream, { prelude }) },
};

const event = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/v1/chat/completions',
  rawQueryString: '',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.COLD_KEY}` },
  requestContext: { http: { method: 'POST', path: '/v1/chat/completions', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'cold-start' }, requestId: 'r' },
  body: Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16 })).toString('base64'),
  isBase64Encoded: true,
};

async function invoke(handler, n) {
  const chunks = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (chunks.push(chunk), done()) });
  const start = performance.now();
  await handler(event, stream, { awsRequestId: `cold-${n}`, getRemainingTimeInMillis: () => 60_000 });
  const ms = performance.now() - start;
  if (stream.prelude?.statusCode !== 200) throw new Error(`request ${n}: ${stream.prelude?.statusCode} ${Buffer.concat(chunks).toString()}`);
  return ms;
}

(async () => {
  const boot = performance.now();
  const { handler } = require(process.argv[2]);
  const load = performance.now() - boot;
  const first = await invoke(handler, 1);
  const second = await invoke(handler, 2);
  process.stdout.write(`COLD ${JSON.stringify({ boot, load, first, second })}\n`);
  process.exit(0);
})().catch((err) => {
  process.stdout.write(`COLD-ERROR ${err.message}\n`);
  process.exit(1);
});
