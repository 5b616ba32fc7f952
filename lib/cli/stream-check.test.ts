import { createServer, type Server } from 'node:http';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/fakes/openai';
import { closeServer, listenOnLoopback } from '../../test/fakes/http';
import { runCli } from './main';
import { streamVerdict, type StreamReport } from './stream-check';

const report = (headersMs: number, arrivals: [number, number][]): StreamReport => ({
  status: 200,
  headersMs,
  endMs: (arrivals[arrivals.length - 1]?.[0] ?? headersMs) + 1,
  reads: arrivals.length,
  arrivals: arrivals.map(([atMs, tokens]) => ({ atMs, tokens })),
});

describe('streamVerdict', () => {
  it.each<[string, StreamReport, string]>([
    ['tokens spread over the answer', report(80, [[300, 1], [340, 2], [390, 1], [450, 3], [520, 1], [600, 2]]), 'streamed'],
    ['one token per read, 20 ms apart', report(50, Array.from({ length: 40 }, (_, i): [number, number] => [100 + i * 20, 1])), 'streamed'],
    ['everything in one read at the end', report(80, [[1_900, 40]]), 'buffered'],
    ['a first token, then the rest held', report(80, [[200, 1], [1_890, 12], [1_895, 20], [1_900, 7]]), 'buffered'],
    ['half early, half held', report(80, [[200, 10], [400, 10], [1_900, 20]]), 'streamed'],
    ['three tokens only', report(80, [[900, 3]]), 'inconclusive'],
    ['no content at all', report(80, []), 'inconclusive'],
    ['all within 20 ms of the headers', report(80, [[95, 20], [100, 20]]), 'inconclusive'],
  ])('%s: %s', (_what, input, kind) => {
    expect(streamVerdict(input).kind).toBe(kind);
  });
});

/** Runs `aigw check stream` in-process against `url`. */
async function check(url: string, extra: string[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['check', 'stream', '--url', url, '--key', 'sk-gw-test', '--model', 'gpt-4o-mini', ...extra], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

/** SSE chunk events of a chat completion, one word each. */
function sseEvents(words: number): string[] {
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return [chunk({ role: 'assistant', content: '' }), ...Array.from({ length: words }, (_, i) => chunk({ content: `${i + 1}\n` })), chunk({}, 'stop'), 'data: [DONE]\n\n'];
}

describe('aigw check stream', () => {
  let streaming: FakeOpenAI;
  let holding: Server;
  let holdingUrl: string;

  beforeAll(async () => {
    streaming = await startFakeOpenAI({ apiKey: 'sk-gw-test', chunkDelayMs: 15 });
    // What a proxy that holds small writes does: headers at once, the whole body at the end.
    holding = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => res.end(sseEvents(30).join('')), 150);
    });
    holdingUrl = await listenOnLoopback(holding);
  });
  afterAll(async () => {
    await streaming.close();
    await closeServer(holding);
  });

  it('says streamed, exit 0, when the tokens arrive as they are written', async () => {
    streaming.reply({ kind: 'text', text: 'counting', chunks: Array.from({ length: 30 }, (_, i) => `${i + 1}\n`) });

    const { code, stdout } = await check(streaming.url.replace(/\/v1$/, ''));

    expect(stdout).toMatch(/^status 200, headers after \d+ ms\nfirst content after \d+ ms, body ended after \d+ ms\nstreamed: 30 content events spread over \d+ ms in \d+ reads\n$/);
    expect(code).toBe(0);
    expect(streaming.requests[0]?.body).toMatchObject({ model: 'gpt-4o-mini', stream: true });
  });

  it('says buffered, exit 1, when they are held back and arrive together', async () => {
    const { code, stdout } = await check(holdingUrl, ['--json']);

    const out = JSON.parse(stdout) as StreamReport & { verdict: { kind: string; detail: string } };
    expect(out.verdict).toEqual({ kind: 'buffered', detail: expect.stringMatching(/^30 of 30 content events arrived within 10 ms at the end/) });
    expect(out.arrivals.at(-1)!.atMs).toBeGreaterThanOrEqual(140);
    expect(code).toBe(1);
  });

  it('counts the last content event of a stream whose lines end in CR, when nothing follows it', async () => {
    const events = sseEvents(30).slice(0, 31).map((event) => event.replaceAll('\n', '\r'));
    const cr = createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of events) {
        res.write(event);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      res.end();
    });
    const url = await listenOnLoopback(cr);
    try {
      const { code, stdout } = await check(url, ['--json']);

      const out = JSON.parse(stdout) as StreamReport;
      expect(out.arrivals.reduce((n, a) => n + a.tokens, 0)).toBe(30);
      expect(code).toBe(0);
    } finally {
      await closeServer(cr);
    }
  });

  it('reports the gateway’s refusal with its message, exit 1', async () => {
    streaming.reply({ kind: 'error', status: 401 });

    const { code, stderr } = await check(streaming.url.replace(/\/v1$/, ''));

    expect(stderr).toMatch(/^aigw: http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions answered 401: Incorrect API key provided/);
    expect(code).toBe(1);
  });

  it('says so when nothing answers at the URL, exit 1', async () => {
    const closed = createServer();
    const url = await listenOnLoopback(closed);
    await closeServer(closed);

    const { code, stderr } = await check(url);

    expect(stderr).toMatch(/^aigw: the gateway isn't running at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    expect(code).toBe(1);
  });

  it('says so when the stream breaks off, exit 1', async () => {
    const breaking = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseEvents(30).slice(0, 3).join(''));
      setTimeout(() => res.destroy(), 20);
    });
    const url = await listenOnLoopback(breaking);
    try {
      const { code, stderr } = await check(url);

      expect(stderr).toMatch(/^aigw: the stream from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions broke off \(.+\), after 1 reads with content\n$/);
      expect(code).toBe(1);
    } finally {
      await closeServer(breaking);
    }
  });

  it('needs a key and a model', async () => {
    let stderr = '';
    const io = { stdout: () => undefined, stderr: (t: string) => (stderr += t), env: {}, cwd: process.cwd() };

    expect(await runCli(['check', 'stream', '--model', 'm'], io)).toBe(2);
    expect(stderr).toContain('aigw: check stream needs --key KEY');
  });
});
