import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeBedrock, Reply } from '../fakes/bedrock';
import { anthropicStreamEvents, chunkFrame, converseStreamEvents, eventFrame, exceptionFrame, type AnswerContent } from '../fakes/bedrock-wire';
import type { FakePool } from './fake-pool';
import { BEDROCK_CLAUDE, startBedrockPool } from './provider-pools';

/**
 * How a Claude stream passed through from Bedrock (InvokeModelWithResponseStream) ends when it
 * fails mid-way, as the official Anthropic client reads it and as the usage record books it: the
 * gateway's words name the provider by its config id (`aws` here), and the record's `errorCode`
 * is the one the same failure gets elsewhere (before the stream, on the Anthropic passthrough,
 * through the Converse translation), not the `error.type` of the event the client was sent.
 */
let pool: FakePool<FakeBedrock, Reply>;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  pool = await startBedrockPool('bedrock-claude-stream-errors');
  anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
  openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });
});
afterAll(() => pool.close());
beforeEach(() => pool.reset());

const message = { model: BEDROCK_CLAUDE, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
const ANSWER: AnswerContent = { text: 'Hello there', chunks: ['Hello ', 'there'], calls: [], stopReason: 'end_turn', usage: { input: 17, output: 9 } };
/** The answer's first three frames: message_start (17 input tokens), content_block_start, a first delta. */
const opening = () => anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').slice(0, 3).map(chunkFrame);
const ORGANIZATION = 'd3f27ff7-9afe-4ee2-9645-76ecfc73c2b7';
const ROLE = 'arn:aws:sts::444455556666:assumed-role/aigw-bedrock/session';

/** The stream read by the official client to its error, and the usage record of its request. */
async function failedStream(frames: Uint8Array[]) {
  pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: frames });
  const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }).withResponse();
  let text = '';
  const err = await (async () => {
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  })().catch((e: unknown) => e);
  if (!(err instanceof Anthropic.APIError)) throw new Error(`the stream ended without an API error: ${String(err)}`);
  return { text, error: err.error as { type: string; error: { type: string; message: string } }, record: await pool.recordOf(response.headers.get('x-request-id')) };
}

describe('a Claude stream on Bedrock that fails mid-way (Anthropic client)', () => {
  it.each(['authentication_error', 'permission_error'])('books Claude’s own %s event as the gateway’s credentials refused, naming the provider by its config id', async (type) => {
    // Prepare
    const refused = chunkFrame({ type: 'error', error: { type, message: `Your organization ${ORGANIZATION} cannot use this model.` } });

    // Act
    const { text, error, record } = await failedStream([...opening(), refused]);

    // Assess
    expect(text).toBe('Hello ');
    expect(error).toEqual({ type: 'error', error: { type: 'api_error', message: `The upstream provider "aws" rejected the gateway's credentials (${type}).` } });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'upstream_auth_failed', inputTokens: 17 });
  });

  it.each(['accessDeniedException', 'expiredTokenException'])('books Bedrock’s %s as the gateway’s AWS credentials refused, naming the provider by its config id', async (type) => {
    // Act
    const { error, record } = await failedStream([...opening(), exceptionFrame(type, `User: ${ROLE} is not authorized to perform: bedrock:InvokeModelWithResponseStream`)]);

    // Assess: worded as the same refusal before the stream is.
    expect(error).toEqual({ type: 'error', error: { type: 'api_error', message: `The upstream provider "aws" rejected the gateway's AWS credentials (${type}).` } });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'upstream_auth_failed', inputTokens: 17 });
  });

  it.each([
    { exception: 'throttlingException', type: 'rate_limit_error', code: 'rate_limit_exceeded' },
    { exception: 'serviceUnavailableException', type: 'overloaded_error', code: 'service_unavailable_exception' },
    { exception: 'modelStreamErrorException', type: 'api_error', code: 'model_stream_error_exception' },
  ])('books Bedrock’s $exception mid-stream by the code it has before the stream ($code), AWS’s words kept', async ({ exception, type, code }) => {
    // Act
    const { error, record } = await failedStream([...opening(), exceptionFrame(exception, 'Too many tokens, please wait before trying again.')]);

    // Assess
    expect(error).toEqual({ type: 'error', error: { type, message: 'Too many tokens, please wait before trying again.' } });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: code, inputTokens: 17 });
  });

  it('books Claude’s own rate_limit_error by its type, the organisation kept out of the client’s words', async () => {
    // Act
    const said = `This request would exceed the rate limit for your organization (${ORGANIZATION}) of 40,000 input tokens per minute.`;
    const { error, record } = await failedStream([...opening(), chunkFrame({ type: 'error', error: { type: 'rate_limit_error', message: said } })]);

    // Assess
    expect(error.error).toEqual({ type: 'rate_limit_error', message: said.replace(ORGANIZATION, 'the provider account') });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_error', inputTokens: 17 });
  });

  it('books a stream Bedrock ends before message_stop as interrupted, as every provider’s cut stream, worded as the Converse translation words it', async () => {
    // Act
    const { error, record } = await failedStream(opening());

    // Assess
    expect(error.error).toEqual({ type: 'api_error', message: 'The upstream provider "aws" ended the stream before it was complete.' });
    expect(record).toMatchObject({ status: 200, outcome: 'interrupted', errorCode: 'upstream_interrupted', inputTokens: 17 });
  });

  it('books a broken frame as a bad upstream response, worded as the Converse translation words it', async () => {
    // Act: a frame whose prelude claims more bytes than its total length allows.
    const { text, error, record } = await failedStream([...opening(), Buffer.alloc(16, 0xff)]);

    // Assess
    expect(text).toBe('Hello ');
    expect(error.error.type).toBe('api_error');
    expect(error.error.message).toMatch(/^The upstream provider "aws" sent a broken event stream: /);
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'bad_upstream_response', inputTokens: 17 });
  });
});

/** The record of a stream the OpenAI client reads through the Converse translation to its failure. */
async function failedConverse(frames: Uint8Array[]) {
  pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: frames });
  const { data: stream, response } = await openai.chat.completions.create({ model: BEDROCK_CLAUDE, stream: true, messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
  await (async () => {
    for await (const _ of stream);
  })().catch(() => undefined);
  return pool.recordOf(response.headers.get('x-request-id'));
}

/** The same answer's ConverseStream frames: messageStart, then the first delta. */
const converseOpening = () =>
  converseStreamEvents(ANSWER)
    .slice(0, 2)
    .map((e) => eventFrame(e.type, e.payload));

describe('a Claude stream on Bedrock that fails mid-way is booked as the Converse translation books the same failure', () => {
  it.each([
    { failure: 'a stream ended before its last event', after: [] as Uint8Array[], outcome: 'interrupted' },
    { failure: 'a broken frame', after: [Buffer.alloc(16, 0xff)], outcome: 'upstream_error' },
    { failure: 'a throttlingException', after: [exceptionFrame('throttlingException', 'Too many tokens, please wait before trying again.')], outcome: 'upstream_error' },
    { failure: 'an accessDeniedException', after: [exceptionFrame('accessDeniedException', `User: ${ROLE} is not authorized to perform: bedrock:InvokeModelWithResponseStream`)], outcome: 'upstream_error' },
    { failure: 'a modelStreamErrorException', after: [exceptionFrame('modelStreamErrorException', 'The model failed.')], outcome: 'upstream_error' },
  ])('$failure: the same outcome ($outcome) and errorCode on both paths', async ({ after, outcome }) => {
    // Act
    const converse = await failedConverse([...converseOpening(), ...after]);
    const { record } = await failedStream([...opening(), ...after]);

    // Assess
    expect(converse.outcome).toBe(outcome);
    expect({ outcome: record.outcome, errorCode: record.errorCode }).toEqual({ outcome: converse.outcome, errorCode: converse.errorCode });
  });
});

describe('a Claude stream on Bedrock the client leaves', () => {
  it('is booked aborted, not as an upstream failure, even when Bedrock then ends it early', async () => {
    // Prepare: the opening, slowly, and no message_stop: an end (after a pause long enough for the gateway to see the client go) it would call cut short.
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [...opening(), new Uint8Array(0)], delayMs: 300 });
    const controller = new AbortController();
    const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }, { signal: controller.signal }).withResponse();

    // Act: the client leaves at its first text.
    const left = await (async () => {
      for await (const event of stream) if (event.type === 'content_block_delta') controller.abort();
    })().catch((e: unknown) => e);

    // Assess
    // The SDK ends its iteration quietly when its own signal aborted it: no error event was read before.
    expect(left).toBeUndefined();
    const record = await pool.recordOf(response.headers.get('x-request-id'));
    expect(record).toMatchObject({ status: 200, outcome: 'aborted', inputTokens: 17 });
    expect(record.errorCode).toBeUndefined();
  });
});
