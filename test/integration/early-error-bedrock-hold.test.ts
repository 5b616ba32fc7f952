import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { STREAM_HOLD_MS } from '../../lib/upstream/http';
import { defaultReply, type BedrockRecordedRequest, type FakeBedrock, type Reply } from '../fakes/bedrock';
import { anthropicStreamEvents, chunkFrame, converseStreamEvents, eventFrame, exceptionFrame, type AnswerContent } from '../fakes/bedrock-wire';
import type { FakePool } from './fake-pool';
import { BEDROCK_CLAUDE, startBedrockPool } from './provider-pools';
import type { PoolAccount } from './pool-rig';

/**
 * The hold of a Bedrock stream for its first answer event lasts `STREAM_HOLD_MS` at most (no
 * `timeouts.firstByteMs` here). A ConverseStream or an InvokeModelWithResponseStream that sends
 * nothing for longer, or only its opening frame (`messageStart`, or a `chunk` of Anthropic's
 * `message_start`: a reasoning model thinking), has its client given the headers at the bound, then
 * the answer as it comes, from the one account; an exception frame after the bound is relayed
 * in-band (no failover, no rest), as one after the answer's start is.
 *
 * The bound is a constant with no seam (a deadline, `firstByteMs`, fails the attempt instead of
 * relaying it), so each case waits past it; the cases run side by side, each its own prompt, which
 * both accounts' fakes answer alike: the file takes one bound's wait, not one per case.
 */
const CLAUDE = BEDROCK_CLAUDE;
const THROTTLED = 'Too many requests, please wait before trying again.';
const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
// The answer's frames come this long after the headers, well past the bound: the gateway's headers, due at the bound, have this much to spare on a loaded machine.
const LATE_MS = STREAM_HOLD_MS + 1_500;
// Node may fire a timer a millisecond early of Date.now.
const EARLY_SLACK_MS = 5;

let pool: FakePool<FakeBedrock, Reply>;
/** Each case's reply, by the prompt it sends; any other call gets the fake's usual answer. */
const replies = new Map<string, Reply>();
const promptOf = (req: BedrockRecordedRequest) => [...replies.keys()].find((prompt) => JSON.stringify(req.body).includes(prompt));
const respond = (req: BedrockRecordedRequest): Reply => replies.get(promptOf(req) ?? '') ?? defaultReply(req);

beforeAll(async () => {
  pool = await startBedrockPool('early-error-bedrock-hold');
  pool.fakes.one.reply(respond);
  pool.fakes.two.reply(respond);
});
afterAll(() => pool.close());

const content = (text: string, chunks: string[]): AnswerContent => ({ text, chunks, calls: [], stopReason: 'end_turn', usage: { input: 3, output: chunks.length } });
const SLOW = content('Slow thought.', ['Slow ', 'thought.']);

/** A 200 event stream: `now` at once, `later` after `LATE_MS`. */
function slowStream(now: Uint8Array[], later: Uint8Array[]): Reply {
  // The fake pauses before each piece: a first piece held as long as the second makes the second come at twice that.
  const pieces = now.length ? [Buffer.concat(now), Buffer.concat(later)] : [Buffer.concat(later)];
  return { kind: 'raw', status: 200, headers: EVENT_STREAM, body: pieces, delayMs: now.length ? LATE_MS / 2 : LATE_MS };
}

const converseFrames = (c: AnswerContent) => converseStreamEvents(c).map((e) => eventFrame(e.type, e.payload));
const invokeFrames = (c: AnswerContent) => anthropicStreamEvents(c, 'claude-3-5-sonnet-20240620').map(chunkFrame);

/** The case's one upstream request: which account got it (it was asked nowhere else). */
function onlyAccountAsked(prompt: string): PoolAccount {
  const asked = (['one', 'two'] as const).flatMap((id) => pool.fakes[id].requests.filter((r) => promptOf(r) === prompt).map(() => id));
  expect(asked).toHaveLength(1);
  return asked[0]!;
}

/**
 * The client's headers came at the bound: no sooner than `STREAM_HOLD_MS` after the upstream got
 * the call (the hold starts later still, with the upstream's headers), and before the upstream
 * could write its late frames (`LATE_MS` after it got the call): held until the bound, not until
 * the answer. Timed from the fake's receipt, not the client's send, so that a slow way there on a
 * loaded machine is not counted against the gateway.
 */
function expectHeadersAtTheBound(prompt: string, headersCameAt: number): void {
  const askedAt = [...pool.fakes.one.requests, ...pool.fakes.two.requests].find((r) => promptOf(r) === prompt)!.receivedAt;
  expect(headersCameAt - askedAt).toBeGreaterThanOrEqual(STREAM_HOLD_MS - EARLY_SLACK_MS);
  expect(headersCameAt - askedAt).toBeLessThan(LATE_MS);
}

describe('a ConverseStream silent past the bound (OpenAI client, translated)', () => {
  it.concurrent('with nothing at all: gets its headers at the bound, then the whole answer, from the one account', async () => {
    // Prepare
    const prompt = 'Converse, nothing at all.';
    replies.set(prompt, slowStream([], converseFrames(SLOW)));
    const openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });

    // Act
    const { data: stream, response } = await openai.chat.completions.create({ model: CLAUDE, stream: true, messages: [{ role: 'user', content: prompt }] }).withResponse();
    const headersCameAt = Date.now();
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    // Assess: the headers at the bound, before the frames; then the answer whole, once.
    expectHeadersAtTheBound(prompt, headersCameAt);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Slow thought.');
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    const account = onlyAccountAsked(prompt);
    expect(pool.health.isCooling(`aws/${account}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account, attempts: 1, status: 200, outcome: 'ok' });
  });

  it.concurrent('with messageStart, then an exception after the bound: relayed in-band, which the SDK raises; no failover, no rest', async () => {
    // Prepare
    const prompt = 'Converse, exception after the bound.';
    replies.set(prompt, slowStream([eventFrame('messageStart', { role: 'assistant' })], [exceptionFrame('throttlingException', THROTTLED)]));
    const openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });

    // Act
    const { data: stream, response } = await openai.chat.completions.create({ model: CLAUDE, stream: true, messages: [{ role: 'user', content: prompt }] }).withResponse();
    const headersCameAt = Date.now();
    const roles: (string | undefined)[] = [];
    const err = await (async () => {
      for await (const chunk of stream) roles.push(chunk.choices[0]?.delta.role);
    })().catch((e: unknown) => e);

    // Assess: a 200 with the role chunk, then the error in the stream; the one account asked, not rested.
    expect(response.status).toBe(200);
    expectHeadersAtTheBound(prompt, headersCameAt);
    expect(roles).toEqual(['assistant']);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain(THROTTLED);
    const account = onlyAccountAsked(prompt);
    expect(pool.health.isCooling(`aws/${account}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account, attempts: 1, status: 200 });
  });
});

describe('an InvokeModelWithResponseStream silent past the bound (Anthropic client, Claude on Bedrock)', () => {
  it.concurrent.each<[string, boolean]>([
    ['with nothing at all', false],
    ["with Anthropic's message_start in a chunk, then nothing", true],
  ])('%s: gets its headers at the bound, then every event in order, from the one account', async (what, opening) => {
    // Prepare
    const prompt = `Invoke, ${what}.`;
    const frames = invokeFrames(SLOW);
    replies.set(prompt, opening ? slowStream(frames.slice(0, 1), frames.slice(1)) : slowStream([], frames));
    const anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });

    // Act
    const { data: stream, response } = await anthropic.messages.create({ model: CLAUDE, max_tokens: 64, stream: true, messages: [{ role: 'user', content: prompt }] }).withResponse();
    const headersCameAt = Date.now();
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }

    // Assess
    expectHeadersAtTheBound(prompt, headersCameAt);
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(text).toBe('Slow thought.');
    const account = onlyAccountAsked(prompt);
    expect(pool.health.isCooling(`aws/${account}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account, attempts: 1, status: 200, outcome: 'ok' });
  });

  it.concurrent("with message_start, then an exception after the bound: relayed in-band as Anthropic's event: error; no failover, no rest", async () => {
    // Prepare
    const prompt = 'Invoke, exception after the bound.';
    replies.set(prompt, slowStream(invokeFrames(SLOW).slice(0, 1), [exceptionFrame('throttlingException', THROTTLED)]));
    const anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });

    // Act
    const { data: stream, response } = await anthropic.messages.create({ model: CLAUDE, max_tokens: 64, stream: true, messages: [{ role: 'user', content: prompt }] }).withResponse();
    const headersCameAt = Date.now();
    const types: string[] = [];
    const err = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().catch((e: unknown) => e);

    // Assess
    expect(response.status).toBe(200);
    expectHeadersAtTheBound(prompt, headersCameAt);
    expect(types).toEqual(['message_start']);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: THROTTLED } });
    const account = onlyAccountAsked(prompt);
    expect(pool.health.isCooling(`aws/${account}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account, attempts: 1, status: 200 });
  });
});
