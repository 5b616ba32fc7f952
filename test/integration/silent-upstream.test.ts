import OpenAI from 'openai';
import { AccountHealth } from '../../lib/routing/health';
import type { Reply } from '../fakes/openai';
import { openAIPoolForSuite } from './pool-rig';

/**
 * An upstream that sends its headers and then falls silent past `timeouts.idleMs` timed out: the
 * README's 504 `upstream_timeout` ("stopped sending"), not the 502 of one that broke off. Nothing
 * has reached the client while a whole answer, speech's first audio or a stream's first event is awaited, so the silent
 * account rests and the next is asked; the 504 is what the client gets when none is left.
 */
const IDLE_MS = 300;

const health = new AccountHealth();

const pool = openAIPoolForSuite({
  pool: { timeouts: { headersMs: 2_000, idleMs: IDLE_MS } },
  config: {
    models: [
      { name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] },
      { name: 'tts', price: { perRequest: 0.015 }, targets: [{ provider: 'pool', model: 'gpt-4o-mini-tts' }] },
    ],
    routing: { sticky: false },
  },
  gateway: { health },
  key: { name: 'silent-upstream' },
});
beforeEach(() => {
  pool.one.reply({ kind: 'hang-after-headers' });
  pool.two.reply({ kind: 'hang-after-headers' });
});

describe('an upstream that falls silent after its headers, on every account', () => {
  it.each([
    ['a whole chat answer', () => pool.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hi.' }] })],
    ['speech, before its first audio', () => pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: 'Nothing will be said.' })],
    // Held until its first event (so that an upstream error there fails over): nothing of it has reached the client either.
    ['a stream, before its first event', () => pool.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hi.' }], stream: true })],
  ])('%s: answers 504 upstream_timeout once each account had its idle timeout, each rested', async (_what, call) => {
    // Act
    const start = performance.now();
    const err = (await call().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    const tookMs = performance.now() - start;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout', message: '504 The upstream provider stopped sending.' });
    expect(tookMs).toBeGreaterThanOrEqual(2 * IDLE_MS - 40);
    expect(health.isCooling('pool/one')).toBe(true);
    expect(health.isCooling('pool/two')).toBe(true);
    expect(await pool.recordOf(err.requestID)).toMatchObject({ attempts: 2, status: 504, errorCode: 'upstream_timeout' });
  });

  it('ends a stream that fell silent after its first event with an in-band error that says the upstream stopped sending, booked interrupted with upstream_timeout', async () => {
    // Prepare: the first chunk, then a second of silence (empty pieces are pauses), past the idle timeout.
    const chunk = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`;
    const silentAfterOne: Reply = { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [chunk, '', '', '', '', chunk], delayMs: 200 };
    pool.one.reply(silentAfterOne);
    pool.two.reply(silentAfterOne);

    // Act
    const { data: stream, response } = await pool.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hi.' }], stream: true }).withResponse();
    const failure = await (async () => {
      for await (const _ of stream) {
        // nothing comes
      }
    })().catch((e: unknown) => e);

    // Assess: a stream has started; no failover, no rest.
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as Error).message).toMatch(/stopped sending/);
    expect(pool.one.requests.length + pool.two.requests.length).toBe(1);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ attempts: 1, status: 200, outcome: 'interrupted', errorCode: 'upstream_timeout' });
  });
});
