import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { anthropicClient, startHarness, type Harness } from './harness';

/**
 * A Responses client answered by a translated (Anthropic) stream that fails after its first byte.
 * When the upstream read throws (the socket reset mid-stream, or the upstream stalls past the idle
 * deadline), `metered` turns the failure into the canonical error event and the encoder ends the
 * stream as it ends an upstream error event: the item in progress done `incomplete`,
 * `response.failed`, then `error`, numbered on; the official client raises it. (A guardrail's
 * block, which the stream guard writes instead, is in answer-guardrails.test.ts.) An Anthropic
 * client on a translated OpenAI upstream gets its `event: error` after `message_start`. Upstreams
 * are fakes on loopback; no guardrails, so the streams take the path most streams take.
 */
const IDLE_MS = 600;
let claude: FakeAnthropic;
/** An Anthropic upstream that sends a stream's first events and then nothing, holding the connection. */
let stalling: Server;
const held: ServerResponse[] = [];
let h: Harness;
let key: string;

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
/** An Anthropic stream's first events: the message, a text block and one delta, then (the case's) nothing more. */
const opening = [
  sse('message_start', { type: 'message_start', message: { id: 'msg_01stall', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } }),
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
];

beforeAll(async () => {
  claude = await startFakeAnthropic({ apiKey: 'sk-ant-up' });
  stalling = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(opening.join(''));
    held.push(res);
  });
  await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
  const stallingUrl = `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`;
  h = await startHarness({
    config: (urls) => ({
      providers: [
        { id: 'oai', type: 'openai', baseUrl: urls.upstream, accounts: [{ id: 'o', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', baseUrl: claude.url, accounts: [{ id: 'a', apiKey: { env: 'ANT_KEY' } }] },
        { id: 'stalls', type: 'anthropic', baseUrl: stallingUrl, accounts: [{ id: 'a', apiKey: { env: 'ANT_KEY' } }] },
      ],
      models: [
        { name: 'claude-sonnet-4-6', targets: [{ provider: 'claude', model: 'claude-sonnet-4-6' }] },
        { name: 'claude-stalls', targets: [{ provider: 'stalls', model: 'claude-sonnet-4-6' }] },
        // An Anthropic client on an OpenAI upstream: translated the other way.
        { name: 'gpt-4o-mini', targets: [{ provider: 'oai', model: 'gpt-4o-mini' }] },
      ],
      timeouts: { idleMs: IDLE_MS },
      routing: { sticky: false },
    }),
    credentials: { ANT_KEY: 'sk-ant-up' },
  });
  ({ key } = await h.createKey({ name: 'responses-translated-faults', models: ['*'] }));
});
afterAll(async () => {
  await h.close();
  await claude.close();
  for (const res of held) res.destroy();
  await new Promise((resolve) => stalling.close(resolve));
});
beforeEach(() => {
  claude.reset();
  h.upstream.reset();
});

/** Failures of the upstream read (it throws): each ends as the encoder ends an upstream error event. */
const readFaults = [
  ['the upstream resets the socket mid-stream', 'claude-sonnet-4-6', () => claude.reply({ kind: 'drop', afterEvents: 4 }), 'upstream_interrupted', 'api_error'],
  ['the upstream stalls past the idle deadline', 'claude-stalls', () => undefined, 'upstream_timeout', 'timeout_error'],
] as const;

/** The SSE events of a body as the client gets them, in order. */
function eventsOf(text: string): { type: string; sequence_number: unknown; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Record<string, unknown>;
      return { type: String(data.type), sequence_number: data.sequence_number, data };
    });
}

async function responsesSse(model: string): Promise<ReturnType<typeof eventsOf>> {
  const res = await fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, input: 'Say hello', stream: true }) });
  expect(res.status).toBe(200);
  return eventsOf(await res.text());
}

/** What the official client's `responses.stream` yields (type#sequence_number) and raises. */
async function responsesClient(model: string): Promise<{ seen: string[]; raised: unknown }> {
  const seen: string[] = [];
  try {
    const stream = h.openai({ apiKey: key }).responses.stream({ model, input: 'Say hello' });
    for await (const event of stream) seen.push(`${event.type}#${event.sequence_number}`);
    return { seen, raised: undefined };
  } catch (err) {
    return { seen, raised: err };
  }
}

// The error's type is the one its HTTP error body would have (openAIErrorBody), as for a passed-through stream.
describe.each(readFaults)('a translated Responses stream whose upstream read throws: %s', (_name, model, arrange, code, type) => {
  it('ends with the item in progress incomplete, response.failed, then error, numbered in order', async () => {
    arrange();
    const events = await responsesSse(model);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
    expect(events.slice(-3).map((e) => e.type)).toEqual(['response.output_item.done', 'response.failed', 'error']);
    expect(events.at(-3)!.data.item).toMatchObject({ type: 'message', status: 'incomplete' });
    expect(events.at(-2)!.data.response).toMatchObject({ status: 'failed', error: { code } });
    expect(events.at(-1)!.data).toMatchObject({ code, error: { type, code } });
  });

  it('is raised by the official client as an APIError with the code, after response.failed', async () => {
    arrange();
    const { seen, raised } = await responsesClient(model);
    expect(raised).toBeInstanceOf(OpenAI.APIError);
    expect((raised as InstanceType<typeof OpenAI.APIError>).code).toBe(code);
    expect(seen.at(-1)).toBe(`response.failed#${seen.length - 1}`);
  });
});

describe('a translated Anthropic Messages stream whose upstream read throws (an OpenAI upstream resets the socket)', () => {
  it("ends with Anthropic's error event after message_start, which the official client raises", async () => {
    h.upstream.reply({ kind: 'drop', afterChunks: 2 });
    const res = await fetch(`${h.gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Say hello' }] }) });
    const names = (await res.text()).split('\n').filter((l) => l.startsWith('event: ')).map((l) => l.slice(7));
    expect(names[0]).toBe('message_start');
    expect(names.at(-1)).toBe('error');
    h.upstream.reply({ kind: 'drop', afterChunks: 2 });
    const stream = anthropicClient(h.gw, key, { maxRetries: 0 }).messages.stream({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'Say hello' }] });
    const raised = await stream.finalMessage().catch((e: unknown) => e);
    expect(raised).toBeInstanceOf(Anthropic.APIError);
    expect((raised as Error).message).toContain('The upstream provider broke off the stream.');
  });
});
