import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import type { GatewayLogger } from '../../lib/observe/logger';
import { AccountHealth } from '../../lib/routing/health';
import { startFakeAnthropic, type FakeAnthropic, type Reply as AnthropicReply } from '../fakes/anthropic';
import { startFakeOpenAI, type FakeOpenAI, type Reply as OpenAIReply } from '../fakes/openai';
import { anthropicClient, createGatewayKey, openAIClient, UPSTREAM_KEY, ADMIN_TOKEN } from './harness';
import { onlyRecordOf } from './pool-rig';

/**
 * When every account of a call fails, and they failed differently, the client gets the failure
 * that tells it what to do (`lib/pipeline/failure-choice.ts`): a rate limit with its retry-after,
 * an overload, a 5xx or a timeout, rather than the last account's word that it lacks the model,
 * whichever came last. Two targets per model, each its own provider of one account and its own fake
 * upstream, so the order is the config's: the OpenAI surface through `chat` (`first`, then
 * `second`), the Anthropic one through `claude` (`claudeFirst`, then `claudeSecond`). The usage
 * record and the access log line say what the client got.
 */

// Long enough for a loaded machine to answer every fake in time; one case waits it out (a hung account).
const HEADERS_MS = 1_500;
/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];
const MODEL_MISSING: OpenAIReply = { kind: 'error', status: 404, body: { error: { message: 'The model `gpt-4o` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' } } };
const RATE_LIMITED: OpenAIReply = { kind: 'error', status: 429, headers: { 'retry-after': '7' } };
const CLAUDE_MISSING: AnthropicReply = { kind: 'error', status: 404 };
const CLAUDE_RATE_LIMITED: AnthropicReply = { kind: 'error', status: 429, headers: { 'retry-after': '7' } };

let first: FakeOpenAI;
let second: FakeOpenAI;
let claudeFirst: FakeAnthropic;
let claudeSecond: FakeAnthropic;
let gw: LocalGateway;
let keyId: string;
let key: string;
let openai: OpenAI;
let anthropic: Anthropic;
const health = new AccountHealth();
/** The access log's `request` lines, by request id. */
const accessLines = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  [first, second] = await Promise.all([startFakeOpenAI({ apiKey: UPSTREAM_KEY }), startFakeOpenAI({ apiKey: UPSTREAM_KEY })]);
  [claudeFirst, claudeSecond] = await Promise.all([startFakeAnthropic({ apiKey: UPSTREAM_KEY }), startFakeAnthropic({ apiKey: UPSTREAM_KEY })]);
  const account = (id: string) => [{ id, apiKey: { env: 'UP' } }];
  const timeouts = { headersMs: HEADERS_MS, idleMs: HEADERS_MS };
  const config = parseConfig({
    providers: [
      { id: 'first', type: 'openai', baseUrl: first.url, accounts: account('a'), timeouts },
      { id: 'second', type: 'openai', baseUrl: second.url, accounts: account('b'), timeouts },
      { id: 'claude-first', type: 'anthropic', baseUrl: claudeFirst.url, accounts: account('a'), timeouts },
      { id: 'claude-second', type: 'anthropic', baseUrl: claudeSecond.url, accounts: account('b'), timeouts },
    ],
    models: [
      { name: 'chat', targets: [{ provider: 'first', model: 'gpt-4o' }, { provider: 'second', model: 'gpt-4o' }] },
      { name: 'claude', targets: [{ provider: 'claude-first', model: 'claude-sonnet-4-6' }, { provider: 'claude-second', model: 'claude-sonnet-4-6' }] },
    ],
  });
  const quiet = () => {};
  const logger: GatewayLogger = {
    debug: quiet,
    info: (...args: unknown[]) => {
      const fields = args[1] as Record<string, unknown> | undefined;
      if (args[0] === 'request' && fields) accessLines.set(String(fields.requestId), fields);
    },
    warn: quiet,
    error: quiet,
  };
  gw = await startLocalGateway({ config, health, logger, shareHealth: false, adminToken: ADMIN_TOKEN, store: { embedded: undefined }, credentials: new LocalCredentials({ UP: UPSTREAM_KEY }) });
  const created = await createGatewayKey(gw.url, ADMIN_TOKEN, { name: 'last-error', models: ['chat', 'claude'] });
  keyId = created.id;
  key = created.key;
  openai = openAIClient(gw, created.key, { maxRetries: 0 });
  anthropic = anthropicClient(gw, created.key, { maxRetries: 0 });
});

afterAll(async () => {
  await gw.close();
  await Promise.all([first.close(), second.close(), claudeFirst.close(), claudeSecond.close()]);
});

beforeEach(() => {
  for (const fake of [first, second, claudeFirst, claudeSecond]) fake.reset();
  // A failure rests its account, which would put the second target first in the next case.
  health.clear();
});

const recordOf = (requestId: string | null | undefined) => onlyRecordOf(gw, keyId, requestId, STARTED_AT);

/** A chat call through the OpenAI surface that every account fails, as the client sees it. */
async function chatFails(): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await openai.chat.completions.create({ model: 'chat', messages }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(first.requests).toHaveLength(1);
  expect(second.requests).toHaveLength(1);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe('the OpenAI surface, when both targets fail', () => {
  it.each<[string, OpenAIReply, OpenAIReply]>([
    ['the first answers 429 with retry-after 7, the second that it lacks the model', RATE_LIMITED, MODEL_MISSING],
    ['the first lacks the model, the second answers 429 with retry-after 7', MODEL_MISSING, RATE_LIMITED],
  ])('gives the rate limit and its retry-after when %s', async (_, one, two) => {
    first.reply(one);
    second.reply(two);

    const err = await chatFails();

    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.headers?.get('retry-after')).toBe('7');
    const record = await recordOf(err.requestID);
    expect(record).toMatchObject({ status: 429, outcome: 'upstream_error', attempts: 2, provider: one === RATE_LIMITED ? 'first' : 'second' });
    expect(accessLines.get(err.requestID!)).toMatchObject({ status: 429, outcome: 'upstream_error', errorCode: record.errorCode, attempts: 2, provider: record.provider });
  });

  it.each<[string, OpenAIReply, OpenAIReply, number]>([
    ['the first answers 503, the second lacks the model', { kind: 'error', status: 503 }, MODEL_MISSING, 503],
    ['the first lacks the model, the second answers 500', MODEL_MISSING, { kind: 'error', status: 500 }, 500],
  ])('gives the server error when %s', async (_, one, two, status) => {
    first.reply(one);
    second.reply(two);

    const err = await chatFails();

    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(status);
    expect(err.code).not.toBe('upstream_failed_precondition');
    const record = await recordOf(err.requestID);
    expect(record).toMatchObject({ status, attempts: 2 });
    expect(record.errorCode).not.toBe('upstream_failed_precondition');
    expect(accessLines.get(err.requestID!)).toMatchObject({ status, attempts: 2 });
  });

  it('gives the timeout when the first does not answer in time and the second lacks the model', async () => {
    first.reply({ kind: 'hang' });
    second.reply(MODEL_MISSING);

    const err = await chatFails();

    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout' });
    const record = await recordOf(err.requestID);
    // As a call whose only account timed out is booked: no upstream answered with an error the client got.
    expect(record).toMatchObject({ status: 504, errorCode: 'upstream_timeout', outcome: 'error', attempts: 2, provider: 'first' });
    expect(accessLines.get(err.requestID!)).toMatchObject({ status: 504, errorCode: 'upstream_timeout', provider: 'first', account: 'a' });
  });

  it('still says the model is missing when every account lacks it', async () => {
    first.reply(MODEL_MISSING);
    second.reply(MODEL_MISSING);

    const err = await chatFails();

    expect(err).toMatchObject({ status: 502, code: 'upstream_failed_precondition' });
    const record = await recordOf(err.requestID);
    expect(record).toMatchObject({ status: 502, errorCode: 'upstream_failed_precondition', attempts: 2, provider: 'second' });
  });

  it('gives the shortest retry-after when both are rate limited', async () => {
    first.reply({ kind: 'error', status: 429, headers: { 'retry-after': '3' } });
    second.reply({ kind: 'error', status: 429, headers: { 'retry-after': '20' } });

    const err = await chatFails();

    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers?.get('retry-after')).toBe('3');
    expect(await recordOf(err.requestID)).toMatchObject({ status: 429, provider: 'first', account: 'a' });
  });
});

describe('the Anthropic surface, when both targets fail', () => {
  it.each<[string, AnthropicReply, AnthropicReply]>([
    ['the first answers 429 with retry-after 7, the second that it lacks the model', CLAUDE_RATE_LIMITED, CLAUDE_MISSING],
    ['the first lacks the model, the second answers 429 with retry-after 7', CLAUDE_MISSING, CLAUDE_RATE_LIMITED],
  ])('gives the rate limit and its retry-after when %s', async (_, one, two) => {
    claudeFirst.reply(one);
    claudeSecond.reply(two);

    const err = await anthropic.messages.create({ model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const rateLimit = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(rateLimit.headers?.get('retry-after')).toBe('7');
    expect(claudeFirst.requests).toHaveLength(1);
    expect(claudeSecond.requests).toHaveLength(1);
    expect(await recordOf(rateLimit.headers?.get('x-request-id'))).toMatchObject({ status: 429, attempts: 2 });
  });

  it('gives the overload when the first answers 529 and the second lacks the model', async () => {
    claudeFirst.reply({ kind: 'error', status: 529 });
    claudeSecond.reply(CLAUDE_MISSING);

    const err = await anthropic.messages.create({ model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    const overloaded = err as InstanceType<typeof Anthropic.InternalServerError>;
    expect(overloaded.status).toBe(503);
    expect(await recordOf(overloaded.headers?.get('x-request-id'))).toMatchObject({ status: 503, attempts: 2, provider: 'claude-first' });
  });
});
