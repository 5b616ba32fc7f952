import OpenAI from 'openai';
import { AccountHealth } from '../../lib/routing/health';
import { completionBody, newCompletionFrame, streamEvents, type CompletionContent } from '../fakes/openai-wire';
import type { Reply } from '../fakes/openai';
import { eventually } from './harness';
import { openAIPoolForSuite } from './pool-rig';

/**
 * `timeouts.firstByteMs` (here the provider's own) with the official OpenAI client: an account
 * whose answer has not started by the deadline (headers and then silence, or keep-alive comments
 * only) is hung up on, rests as after a headers timeout, and the next account answers, within about
 * the deadline rather than the idle timeout; with none left the client gets the 504
 * `upstream_timeout`. An answer that started in time is never cut by it, however slowly it goes on.
 */
const FIRST_BYTE_MS = 400;
// Far above the deadline: a call that waited for either took that long.
const IDLE_MS = 10_000;
// What "within about the deadline" allows a loaded machine: well under the idle timeout.
const FAILOVER_BOUND_MS = FIRST_BYTE_MS + 2_500;

const health = new AccountHealth();
const chat = { model: 'chat', messages: [{ role: 'user' as const, content: 'Say hi.' }] };

const pool = openAIPoolForSuite({
  pool: { timeouts: { headersMs: IDLE_MS, idleMs: IDLE_MS, firstByteMs: FIRST_BYTE_MS } },
  config: { models: [{ name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }], routing: { sticky: false } },
  gateway: { health },
  key: { name: 'first-byte-deadline' },
});

const content = (text: string): CompletionContent => ({ text, chunks: text.split(' ').map((w, i) => (i === 0 ? w : ` ${w}`)), finishReason: 'stop', usage: { prompt: 9, completion: 3 } });
const sseHeaders = { 'content-type': 'text/event-stream' };
const jsonHeaders = { 'content-type': 'application/json' };

/** Headers, then nothing until the gateway gives up. */
const silentStream: Reply = { kind: 'hang-after-headers' };
/** A whole answer's headers, then its body long after the deadline (never, for the test). */
/** Keep-alive comments every 100 ms, past the deadline, and then the answer: alive, but not answering. */
const onlyPings = (): Reply => ({ kind: 'raw', status: 200, headers: sseHeaders, body: [...Array<string>(8).fill(': ping\n\n'), ...streamEvents(newCompletionFrame('gpt-4o-mini'), content('Too late'), { includeUsage: true, obfuscate: false })], delayMs: 100 });

describe('an account whose answer does not start by timeouts.firstByteMs', () => {
  it.each([
    ['a stream whose headers came, then nothing', silentStream, true],
    ['a stream sending only keep-alive comments', onlyPings(), true],
  ])('%s: is hung up on and rests, and the other account answers within about the deadline', async (_what, reply, stream) => {
    // Prepare
    const first = pool.firstCallGets(reply);

    // Act
    const start = performance.now();
    let text = '';
    let requestId: string | null;
    if (stream) {
      const { data, response } = await pool.client.chat.completions.create({ ...chat, stream: true }).withResponse();
      for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
      requestId = response.headers.get('x-request-id');
    } else {
      const { data, response } = await pool.client.chat.completions.create(chat).withResponse();
      text = data.choices[0]!.message.content ?? '';
      requestId = response.headers.get('x-request-id');
    }
    const tookMs = performance.now() - start;

    // Assess: answered by the other account, once the first had had its deadline and no longer.
    expect(text).toBe('Echo: Say hi.');
    expect(tookMs).toBeGreaterThanOrEqual(FIRST_BYTE_MS - 20);
    expect(tookMs).toBeLessThan(FAILOVER_BOUND_MS);
    expect(first.fake(first.other()).requests).toHaveLength(1);
    await eventually(() => expect(first.fake(first.first()).closedEarly).toHaveLength(1));
    expect(health.isCooling(`pool/${first.first()}`)).toBe(true);
    expect(health.isCooling(`pool/${first.other()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it.each([['streamed', true]])('on the last account, %s: the client gets the 504 upstream_timeout in OpenAI\'s shape, and each account rests', async (_what, stream) => {
    // Prepare
    pool.one.reply(silentStream);
    pool.two.reply(silentStream);

    // Act
    const start = performance.now();
    const err = (await pool.client.chat.completions.create({ ...chat, stream }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    const tookMs = performance.now() - start;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout', type: 'timeout_error' });
    expect(err.message).toBe('504 The upstream provider did not start its answer in time.');
    expect(tookMs).toBeGreaterThanOrEqual(2 * FIRST_BYTE_MS - 40);
    expect(tookMs).toBeLessThan(2 * FIRST_BYTE_MS + 2_500);
    await eventually(() => expect([pool.one.closedEarly.length, pool.two.closedEarly.length]).toEqual([1, 1]));
    expect(health.isCooling('pool/one')).toBe(true);
    expect(health.isCooling('pool/two')).toBe(true);
    expect(await pool.recordOf(err.requestID)).toMatchObject({ attempts: 2, status: 504, errorCode: 'upstream_timeout' });
  });
});

describe('an answer that started before timeouts.firstByteMs', () => {
  it('is a stream that goes on through gaps longer than the deadline, uncut, on the account that started it', async () => {
    // Prepare: the first event at half the deadline, then two deadlines of silence (empty pieces are pauses), then the rest.
    const [opening, ...rest] = streamEvents(newCompletionFrame('gpt-4o-mini'), content('Slow but steady'), { includeUsage: true, obfuscate: false });
    const paced = [opening!, '', '', '', ...rest];
    pool.one.reply({ kind: 'raw', status: 200, headers: sseHeaders, body: paced, delayMs: FIRST_BYTE_MS / 2 });
    pool.two.reply({ kind: 'raw', status: 200, headers: sseHeaders, body: paced, delayMs: FIRST_BYTE_MS / 2 });

    // Act
    const start = performance.now();
    const { data, response } = await pool.client.chat.completions.create({ ...chat, stream: true }).withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    const tookMs = performance.now() - start;

    // Assess
    expect(text).toBe('Slow but steady');
    expect(tookMs).toBeGreaterThan(3 * FIRST_BYTE_MS);
    expect(pool.one.requests.length + pool.two.requests.length).toBe(1);
    expect([health.isCooling('pool/one'), health.isCooling('pool/two')]).toEqual([false, false]);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ attempts: 1, status: 200, outcome: 'ok' });
  });

  it('is not asked of a whole answer: one whose headers came and whose body comes only after the deadline is answered by its account, uncut', async () => {
    // Prepare: the first account takes twice the deadline to make its whole answer, as a long completion asked without `stream` does.
    const body = completionBody(newCompletionFrame('gpt-4o-mini'), content('Slow but whole'));
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: jsonHeaders, body: [body], delayMs: 2 * FIRST_BYTE_MS });

    // Act
    const start = performance.now();
    const { data, response } = await pool.client.chat.completions.create(chat).withResponse();
    const tookMs = performance.now() - start;

    // Assess
    expect(data.choices[0]!.message.content).toBe('Slow but whole');
    expect(tookMs).toBeGreaterThanOrEqual(2 * FIRST_BYTE_MS - 20);
    expect(first.fake(first.first()).closedEarly).toHaveLength(0);
    expect(first.fake(first.other()).requests).toHaveLength(0);
    expect(health.isCooling(`pool/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1, status: 200, outcome: 'ok' });
  });

  it('is a whole answer whose first bytes came in time and the rest after the deadline, uncut', async () => {
    // Prepare
    const body = completionBody(newCompletionFrame('gpt-4o-mini'), content('Half now, half later'));
    const halves = [body.slice(0, 40), body.slice(40)];
    pool.one.reply({ kind: 'raw', status: 200, headers: jsonHeaders, body: halves, delayMs: 0.6 * FIRST_BYTE_MS });
    pool.two.reply({ kind: 'raw', status: 200, headers: jsonHeaders, body: halves, delayMs: 0.6 * FIRST_BYTE_MS });

    // Act
    const start = performance.now();
    const { data, response } = await pool.client.chat.completions.create(chat).withResponse();
    const tookMs = performance.now() - start;

    // Assess
    expect(data.choices[0]!.message.content).toBe('Half now, half later');
    expect(tookMs).toBeGreaterThan(FIRST_BYTE_MS);
    expect(pool.one.requests.length + pool.two.requests.length).toBe(1);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ attempts: 1, status: 200, outcome: 'ok' });
  });
});
