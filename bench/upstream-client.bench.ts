/**
 * What one upstream call costs the gateway's thread, by the way it is made: undici's Agent (as
 * `lib/upstream/http.ts` dispatches), its Pool or Client directly, and node:http's client. One call
 * at a time, a small JSON POST and a small JSON answer from a server in another process (pinned to
 * the other core when there is one), so the figure is the caller's CPU (user + system) per call.
 *   npx tsx bench/upstream-client.bench.ts
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { Agent, Client, Pool, type Dispatcher } from 'undici';

const BODY = Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"stream":false}');
const HEADERS = { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer sk-fake-openai' };
const CALLS = Number(process.env.CALLS ?? 5000);

type Call = () => Promise<void>;

/** One call through a dispatcher, with a handler of the shape `lib/upstream/http.ts` gives (the legacy callbacks). */
function dispatchCall(dispatcher: Dispatcher, origin: string): Call {
  return () =>
    new Promise<void>((resolve, reject) => {
      const chunks: Buffer[] = [];
      dispatcher.dispatch({ origin, path: '/v1/chat/completions', method: 'POST', headers: HEADERS, body: BODY, headersTimeout: 300_000, bodyTimeout: 300_000 }, {
        onConnect() {},
        onHeaders() {
          return true;
        },
        onData(chunk: Buffer) {
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          resolve();
        },
        onError: reject,
        // The legacy callbacks, as lib/upstream/http.ts's handler (undici's types name only the new ones).
      } as unknown as Dispatcher.DispatchHandler);
    });
}

function nodeHttpCall(origin: string): { call: Call; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(origin);
  const call: Call = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/chat/completions', agent, headers: { ...HEADERS, 'content-length': BODY.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(BODY);
    });
  return { call, close: () => agent.destroy() };
}

/** CPU µs (user + system) and wall µs per call, over CALLS calls after as many to warm up. */
async function measure(call: Call): Promise<{ cpu: number; wall: number }> {
  for (let i = 0; i < CALLS; i++) await call();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await call();
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / CALLS;
  const used = process.cpuUsage(cpu0);
  return { cpu: (used.user + used.system) / CALLS, wall };
}

async function main(): Promise<void> {
  const server: ChildProcess = fork(__filename, ['serve']);
  pinToCore0(server.pid!);
  const [port] = (await once(server, 'message')) as [number];
  const origin = `http://127.0.0.1:${port}`;
  const undici = (make: () => Dispatcher) => () => {
    const dispatcher = make();
    return { call: dispatchCall(dispatcher, origin), close: () => dispatcher.close() };
  };
  const ways: Array<[string, () => { call: Call; close: () => Promise<void> | void }]> = [
    ['undici Agent.dispatch (as lib/upstream/http.ts)', undici(() => new Agent({ connections: 1 }))],
    ['undici Pool.dispatch', undici(() => new Pool(origin, { connections: 1 }))],
    ['undici Client.dispatch', undici(() => new Client(origin))],
    ['node:http request (keep-alive agent)', () => nodeHttpCall(origin)],
  ];
  try {
    // Twice round, so that each way meets the machine in more than one state.
    for (let round = 0; round < 2; round++) {
      for (const [name, make] of ways) {
        const { call, close } = make();
        const { cpu, wall } = await measure(call);
        await close();
        console.log(`${name.padEnd(48)} cpu ${cpu.toFixed(1).padStart(6)} µs/call  wall ${wall.toFixed(1).padStart(6)} µs/call`);
      }
    }
  } finally {
    server.kill();
  }
}

/** The server on core 0, the caller on the core it was started on (`taskset -c 1 npx tsx …`), where taskset exists. */
function pinToCore0(pid: number): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
  } catch {
    // No taskset (macOS): both share the cores as the scheduler likes; the CPU figures still hold.
  }
}

function serve(): void {
  const answer = Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! This is a fixed response from the fake upstream.', refusal: null }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 12, total_tokens: 24 } }));
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
  // The bench gone, however it ended (a throw, a kill -9), its server goes too.
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === 'serve') serve();
else void main();
