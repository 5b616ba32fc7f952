/**
 * How a Responses stream ends for a Responses client, with the official `openai` client as the
 * caller. A stream that fails after its first byte ends as OpenAI ends one: `response.failed`
 * with the response the client already has (its id, created_at and model from `response.created`,
 * no output that was held back), then the `error` event the SDK raises on. Consumers that read
 * only the `response.*` terminal events (Codex, the Agents SDK) see the failure rather than a
 * stream that "closed before response.completed". Passed through (an OpenAI upstream) and
 * translated (an OpenAI-compatible upstream behind the Responses client), blocked by a guardrail
 * on answers and broken off by the upstream.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
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
