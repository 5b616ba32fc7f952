/**
 * How a Responses stream ends for a Responses client, with the official `openai` client as the
 * caller. A stream that fails after its first byte ends as OpenAI ends one: `response.failed`
 * with the response the client already has (its id, created_at and model from `response.created`,
 * no output that was held back), then the `error` event the SDK raises on. Consumers that read
 * only the `response.*` terminal events (Codex, the Agents SDK) see the failure rather than a
 * stream that "closed before response.completed". Passed through (an OpenAI upstream) and
 * translated (an OpenAI-compatible upstream behind the Responses client), blocked by a guardrail
 * on answers and broken off by the upstream.
 *
 * And how a refusal ends: an OpenAI Chat Completions upstream's refusal (`message.refusal`,
 * streamed `delta.refusal`) reaches a Responses client as OpenAI's Responses API sends one, a
 * `refusal` content part (`response.refusal.delta` / `.done` when streamed) of a completed
 * response, which `responses.parse` leaves unparsed, not as text of an incomplete one.
 */
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { z } from 'zod';
import type { Reply } from '../fakes/openai';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import { startHarness, type Harness } from './harness';

const TOKEN = FAKE.githubClassic;
/** The token cut in two across stream events: the screen holds the first piece back. */
const PIECES = ['Token ', TOKEN.slice(0, 12), TOKEN.slice(12), ' ok'];

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness({
    config: (urls) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: urls.upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'compat', type: 'openai-compatible', baseUrl: urls.backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      ],
      models: [
        // A Responses client on OpenAI: its stream goes on as OpenAI sent it.
        { name: 'gpt-pass', targets: [{ provider: 'primary', model: 'gpt-4.1' }] },
        // A Responses client on an OpenAI-compatible server: Chat Completions, translated.
        { name: 'gpt-chat', targets: [{ provider: 'compat', model: 'llama-3.3-70b' }] },
      ],
      guardrails: { on: ['response'], rules: [{ detect: 'github-token', action: 'block' }] },
    }),
  });
  ({ key } = await h.createKey({ name: 'responses-ends', models: ['*'] }));
});
afterAll(() => h.close());
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
});

const openai = () => h.openai({ apiKey: key });
const MODELS = [
  { name: 'passed through', model: 'gpt-pass', upstream: () => h.upstream },
  { name: 'translated', model: 'gpt-chat', upstream: () => h.backup },
];

/** Iterates `responses.create({stream: true})`: the events the client got and what it threw. */
async function iterated(model: string): Promise<{ events: ResponseStreamEvent[]; thrown: unknown }> {
  const events: ResponseStreamEvent[] = [];
  const stream = await openai().responses.create({ model, input: `say ${Date.now()}`, stream: true });
  const thrown = await (async () => {
    for await (const event of stream) events.push(event);
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { events, thrown };
}

/** `responses.stream(...)`: the terminal `response.*` events it emitted, and what `finalResponse()` did. */
async function helperStream(model: string): Promise<{ failed: ResponseStreamEvent[]; settled: unknown }> {
  const failed: ResponseStreamEvent[] = [];
  const stream = openai().responses.stream({ model, input: `say ${Date.now()}` });
  stream.on('response.failed', (event) => failed.push(event));
  const settled = await stream.finalResponse().then(
    (response) => response,
    (e: unknown) => e,
  );
  return { failed, settled };
}

/** The data of each SSE event of a Responses stream as the gateway sent it. */
async function rawEvents(model: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, input: `say ${Date.now()}`, stream: true }) });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Record<string, unknown>);
}

type Created = Extract<ResponseStreamEvent, { type: 'response.created' }>;
type Failed = Extract<ResponseStreamEvent, { type: 'response.failed' }>;

describe.each(MODELS)('a guardrail’s block, $name', ({ model, upstream }) => {
  beforeEach(() => upstream().reply(() => ({ kind: 'text', text: PIECES.join(''), chunks: PIECES })));

  it('ends the stream with response.failed for the response the client has, then the error the client raises', async () => {
    // Act
    const { events, thrown } = await iterated(model);

    // Assess
    const created = events.find((e): e is Created => e.type === 'response.created')!;
    const failed = events.at(-1) as Failed;
    expect(failed.type).toBe('response.failed');
    expect(failed.response).toMatchObject({ id: created.response.id, created_at: created.response.created_at, model: created.response.model, status: 'failed', output: [], error: { code: 'guardrail_blocked' } });
    expect(failed.sequence_number).toBe(events.at(-2)!.sequence_number + 1);
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as InstanceType<typeof OpenAI.APIError>).code).toBe('guardrail_blocked');
    expect(JSON.stringify(events)).not.toContain(TOKEN.slice(0, 12));
  });

  it('numbers response.failed and the error event on from the last event the client got, the blocked text in neither', async () => {
    // Act
    const events = await rawEvents(model);

    // Assess
    expect(events.slice(-2).map((e) => e.type)).toEqual(['response.failed', 'error']);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
    expect(JSON.stringify(events)).not.toContain(TOKEN.slice(0, 12));
  });

  it('has responses.stream() emit response.failed and finalResponse() reject with the block', async () => {
    // Act
    const { failed, settled } = await helperStream(model);

    // Assess
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ response: { status: 'failed', output: [], error: { code: 'guardrail_blocked' } } });
    expect(JSON.stringify(failed)).not.toContain(TOKEN.slice(0, 12));
    expect(settled).toBeInstanceOf(OpenAI.APIError);
    expect((settled as InstanceType<typeof OpenAI.APIError>).code).toBe('guardrail_blocked');
  });
});

describe.each(MODELS)('an upstream that broke off, $name', ({ model, upstream }) => {
  beforeEach(() => upstream().reply(() => ({ kind: 'drop', afterChunks: 4 })));

  it('ends the stream with response.failed for the response the client has, then the error the client raises', async () => {
    // Act
    const { events, thrown } = await iterated(model);

    // Assess
    const created = events.find((e): e is Created => e.type === 'response.created')!;
    const failed = events.at(-1) as Failed;
    expect(failed.type).toBe('response.failed');
    expect(failed.response).toMatchObject({ id: created.response.id, created_at: created.response.created_at, model: created.response.model, status: 'failed', error: { code: 'upstream_interrupted' } });
    expect(failed.sequence_number).toBe(events.at(-2)!.sequence_number + 1);
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_interrupted');
  });

  it('has responses.stream() emit response.failed and finalResponse() reject with the cut', async () => {
    // Act
    const { failed, settled } = await helperStream(model);

    // Assess
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ response: { status: 'failed', error: { code: 'upstream_interrupted' } } });
    expect(settled).toBeInstanceOf(OpenAI.APIError);
  });
});

const REFUSAL = 'I cannot help with that.';
const Person = z.object({ name: z.string(), born: z.number() });

/** An OpenAI-compatible server's refusal, in a whole answer or streamed in two `refusal` deltas, as OpenAI writes one. */
function refusalReply(req: { body: unknown }): Reply {
  const usage = { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 };
  if ((req.body as { stream?: unknown }).stream !== true) {
    const body = { id: 'chatcmpl-r', object: 'chat.completion', created: 1, model: 'llama-3.3-70b', choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: REFUSAL }, logprobs: null, finish_reason: 'stop' }], usage };
    return { kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-r', object: 'chat.completion.chunk', created: 1, model: 'llama-3.3-70b', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  const body = [chunk({ role: 'assistant', content: null, refusal: '' }), chunk({ refusal: 'I cannot ' }), chunk({ refusal: 'help with that.' }), chunk({}, 'stop'), `data: ${JSON.stringify({ id: 'chatcmpl-r', object: 'chat.completion.chunk', created: 1, model: 'llama-3.3-70b', choices: [], usage })}\n\n`, 'data: [DONE]\n\n'];
  return { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body };
}

describe('an OpenAI Chat refusal, translated for a Responses client', () => {
  beforeEach(() => h.backup.reply(refusalReply));
  const REFUSED = { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'refusal', refusal: REFUSAL }] };

  it('is a refusal part of a completed response, whole', async () => {
    // Act
    const response = await openai().responses.create({ model: 'gpt-chat', input: 'How do I pick a lock?' });

    // Assess
    expect(response).toMatchObject({ status: 'completed', incomplete_details: null, output: [REFUSED] });
    expect(response.output_text).toBe('');
  });

  it('streams as a refusal part: content_part.added, response.refusal.delta and .done, then a completed response', async () => {
    // Act
    const { events, thrown } = await iterated('gpt-chat');

    // Assess
    expect(thrown).toBeUndefined();
    const types = events.map((e) => e.type);
    expect(types).not.toContain('response.output_text.delta');
    const refusalEvents = events.filter((e) => e.type.startsWith('response.refusal') || e.type.startsWith('response.content_part'));
    expect(refusalEvents).toMatchObject([
      { type: 'response.content_part.added', output_index: 0, content_index: 0, part: { type: 'refusal', refusal: '' } },
      { type: 'response.refusal.delta', output_index: 0, content_index: 0, delta: 'I cannot ' },
      { type: 'response.refusal.delta', output_index: 0, content_index: 0, delta: 'help with that.' },
      { type: 'response.refusal.done', output_index: 0, content_index: 0, refusal: REFUSAL },
      { type: 'response.content_part.done', output_index: 0, content_index: 0, part: { type: 'refusal', refusal: REFUSAL } },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed', output: [REFUSED] } });
  });

  it.each([false, true])('reaches responses.parse with a text format as a refusal, nothing parsed (streamed: %s)', async (streamed) => {
    // Prepare
    const body = { model: 'gpt-chat', input: 'How do I pick a lock?', text: { format: zodTextFormat(Person, 'person') } };

    // Act
    const response = streamed ? await openai().responses.stream(body).finalResponse() : await openai().responses.parse(body);

    // Assess
    expect(response.status).toBe('completed');
    expect(response.output_parsed).toBeNull();
    expect(response.output).toMatchObject([REFUSED]);
  });
});
