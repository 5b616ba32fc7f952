import OpenAI from 'openai';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { openAIClient, startHarness, UPSTREAM_KEY, type Harness } from './harness';

const MODEL = 'gpt-4o-mini';
/** The fake's pause between two events of a stream. */
const EVENT_GAP_MS = 60;

/** A stream's events with the time each arrived at the client (ms since `started`). */
async function timedEvents(stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>, started: number): Promise<{ event: OpenAI.Responses.ResponseStreamEvent; at: number }[]> {
  const events: { event: OpenAI.Responses.ResponseStreamEvent; at: number }[] = [];
  for await (const event of stream) events.push({ event, at: performance.now() - started });
  return events;
}

const textOf = (events: readonly { event: OpenAI.Responses.ResponseStreamEvent }[]) => events.map(({ event }) => (event.type === 'response.output_text.delta' ? event.delta : '')).join('');

/**
 * A stored response streamed again (`GET /v1/responses/{id}?stream=true`, the `openai` client's
 * `responses.retrieve(id, { stream: true })`) is relayed event by event as the account sends
 * them, as a model call's stream is: a long one's first events reach the client at once, through
 * the rules on answers where they apply. The fake account pauses between events.
 */
describe('a streamed retrieve of a stored response', () => {
  let slow: FakeOpenAI;
  let h: Harness;
  let client: OpenAI;
  let screenedClient: OpenAI;
  let screenedId: string;

  beforeAll(async () => {
    slow = await startFakeOpenAI({ apiKey: UPSTREAM_KEY, chunkDelayMs: EVENT_GAP_MS });
    h = await startHarness({
      config: () => ({
        providers: [{ id: 'slow', type: 'openai', baseUrl: slow.url, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
        models: [{ name: MODEL, targets: [{ provider: 'slow', model: MODEL }] }],
        guardrails: { rules: [{ detect: 'github-token', action: 'redact', on: ['response'] }] },
      }),
    });
    // One key under the gateway's rules on answers, one with the guardrails off.
    const screened = await h.createKey({ name: 'screened', models: [MODEL] });
    screenedClient = openAIClient(h.gw, screened.key);
    screenedId = screened.id;
    client = openAIClient(h.gw, (await h.createKey({ name: 'plain', models: [MODEL], guardrails: 'off' })).key);
  });
  afterAll(async () => {
    await h?.close();
    await slow?.close();
  });

  it('relays the events in order as the account sends them: the first arrives before the account could have sent the last', async () => {
    // Prepare
    const made = await client.responses.create({ model: MODEL, input: 'one two three four five six seven eight nine ten' });
    await h.gw.gateway.drain();

    // Act
    const started = performance.now();
    const events = await timedEvents(await client.responses.retrieve(made.id, { stream: true }), started);

    // Assess
    expect(events.map(({ event }) => event.sequence_number)).toEqual(events.map((_, i) => i));
    expect([events[0]!.event.type, events.at(-1)!.event.type]).toEqual(['response.created', 'response.completed']);
    expect(textOf(events)).toBe(made.output_text);
    // The account needs (events - 1) gaps to send them all: the first came before that (a whole read
    // would hand it over after the last), and they came spread out as sent.
    const lastSentNoEarlierThan = (events.length - 1) * EVENT_GAP_MS;
    expect(events.length).toBeGreaterThan(15);
    expect(events[0]!.at).toBeLessThan(lastSentNoEarlierThan);
    expect(events.at(-1)!.at - events[0]!.at).toBeGreaterThan(lastSentNoEarlierThan / 2);
  });

  it('screens the relayed events with the rules on answers, as a model call stream is, still event by event', async () => {
    // Prepare: the fake echoes its input, so the stored answer holds the token; the call's own answer was redacted.
    const made = await screenedClient.responses.create({ model: MODEL, input: `Keep ${FAKE.githubClassic} safe for me please, as before` });
    await h.gw.gateway.drain();

    // Act
    const started = performance.now();
    const events = await timedEvents(await screenedClient.responses.retrieve(made.id, { stream: true }), started);

    // Assess
    expect(made.output_text).toContain('[REDACTED:github-token]');
    expect(JSON.stringify(events)).not.toContain(FAKE.githubClassic);
    expect(textOf(events)).toBe(made.output_text);
    expect([events[0]!.event.type, events.at(-1)!.event.type]).toEqual(['response.created', 'response.completed']);
    expect(events[0]!.at).toBeLessThan((events.length - 1) * EVENT_GAP_MS);
    const records = await h.usage(screenedId);
    expect(records.at(-1)).toMatchObject({ status: 200, stream: true, outcome: 'ok', inputTokens: 0, guardrails: [{ rule: 'github-token', action: 'redact', count: 1, side: 'response' }] });
  });

  it.each([
    ['as it came', false],
    ['through the rules on answers', true],
  ])('passes `starting_after` on: the replay resumes after that event, relayed %s and booked whole', async (_, screened) => {
    // Prepare
    const caller = screened ? screenedClient : client;
    const made = await caller.responses.create({ model: MODEL, input: 'alpha beta gamma delta epsilon' });
    await h.gw.gateway.drain();
    const all = await timedEvents(await caller.responses.retrieve(made.id, { stream: true }), performance.now());

    // Act
    const rest = await timedEvents(await caller.responses.retrieve(made.id, { stream: true, starting_after: 3 }), performance.now());

    // Assess
    expect(rest.map(({ event }) => event.sequence_number)).toEqual(all.slice(4).map(({ event }) => event.sequence_number));
    // Each replay pads its deltas anew (`obfuscation`): the rest is the same.
    const unpadded = ({ event }: { event: OpenAI.Responses.ResponseStreamEvent }) => ({ ...event, obfuscation: undefined });
    expect(rest.map(unpadded)).toEqual(all.slice(4).map(unpadded));
    expect(slow.requests.at(-1)?.search).toBe('?stream=true&starting_after=3');
    if (screened) {
      const records = await h.usage(screenedId);
      expect(records.at(-1)).toMatchObject({ status: 200, stream: true, outcome: 'ok', inputTokens: 0, outputTokens: 0 });
    }
  });
});
