import OpenAI from 'openai';
import { AccountLoad } from '../../lib/routing/account-load';
import { AccountHealth } from '../../lib/routing/health';
import { fakeSpeech, speechPieces, SPEECH_PIECES } from '../fakes/openai-media-wire';
import { bodyUntilFailure, eventually } from './harness';
import { openAIPoolForSuite } from './pool-rig';
import { usageSince } from './usage-since';

/**
 * Speech is relayed as it is synthesised, but its attempt is not over until the first audio chunk
 * is in hand: an account that answers 200 and then gives no audio (breaks off, ends empty, falls
 * silent past the idle timeout) has sent the client nothing, so the call fails over to the pool's
 * other account and the failed one rests, as a chat answer's would. Once audio has gone, a
 * break-off fails the client's download (no failover can mend half an audio).
 *
 * Each account is its own fake, sending its audio in pieces `GAP_MS` apart; whichever account the
 * pool tries first gets the failing reply (the pool's order is weighted at random).
 */
const GAP_MS = 150;
/** Longer than a gap between pieces (which must not time out), and than a loaded CI machine's failover, short enough for a test. */
const IDLE_MS = 2_000;
const INPUT = 'A pool of two accounts reads this sentence aloud, whichever of them can.';

const health = new AccountHealth();
const load = new AccountLoad();

const pool = openAIPoolForSuite({
  fakes: { chunkDelayMs: GAP_MS },
  pool: { timeouts: { headersMs: 2_000, idleMs: IDLE_MS } },
  config: { models: [{ name: 'tts', price: { perRequest: 0.015 }, targets: [{ provider: 'pool', model: 'gpt-4o-mini-tts' }] }], routing: { sticky: false } },
  gateway: { health, load },
  key: { name: 'speech-failover' },
});

/** Each chunk the client read and when (ms since `start`). */
async function timedChunks(res: Response, start: number): Promise<{ at: number; bytes: Buffer }[]> {
  const reader = res.body!.getReader();
  const chunks: { at: number; bytes: Buffer }[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push({ at: performance.now() - start, bytes: Buffer.from(value) });
  }
}

describe('speech whose account gives no audio fails over to the next', () => {
  it('hands the client the whole audio of the other account when the first breaks off before its first chunk, and rests the one that broke off', async () => {
    // Prepare: the audio's headers, then the connection closes.
    const calls = pool.firstCallGets({ kind: 'drop', afterChunks: 0 });

    // Act
    const start = performance.now();
    const res = await pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    const chunks = await timedChunks(res, start);

    // Assess: the audio is the other account's, whole, and still relayed as it is synthesised.
    expect(Buffer.concat(chunks.map((c) => c.bytes))).toEqual(fakeSpeech(INPUT));
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    // The break-off was seen as it came, not waited out to the idle timeout (a loaded machine takes some hundreds of ms more).
    expect(chunks[0]!.at).toBeLessThan(IDLE_MS);
    expect(chunks.at(-1)!.at - chunks[0]!.at).toBeGreaterThanOrEqual((SPEECH_PIECES - 2) * GAP_MS);
    expect(calls.fake(calls.first()).requests).toHaveLength(1);
    expect(calls.fake(calls.other()).requests).toHaveLength(1);
    expect(health.isCooling(`pool/${calls.first()}`)).toBe(true);
    expect(health.isCooling(`pool/${calls.other()}`)).toBe(false);
    expect(await pool.recordOf(res.headers.get('x-request-id'))).toMatchObject({ provider: 'pool', account: calls.other(), attempts: 2, status: 200, outcome: 'ok', ttftMs: expect.any(Number), costMicros: 15_000 });
  });

  it('fails over from an account that answers 200 with no audio at all, rather than passing the silence on', async () => {
    // Prepare: a 200 in audio's content type whose body ends at once.
    const calls = pool.firstCallGets({ kind: 'raw', status: 200, headers: { 'content-type': 'audio/mpeg' }, body: [] });

    // Act
    const res = await pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    const audio = Buffer.from(await res.arrayBuffer());

    // Assess
    expect(audio).toEqual(fakeSpeech(INPUT));
    expect(health.isCooling(`pool/${calls.first()}`)).toBe(true);
    expect(health.isCooling(`pool/${calls.other()}`)).toBe(false);
    expect(await pool.recordOf(res.headers.get('x-request-id'))).toMatchObject({ account: calls.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('fails over from an account that falls silent after its headers, once the idle timeout has passed, and hangs up on it', async () => {
    // Prepare
    const calls = pool.firstCallGets({ kind: 'hang-after-headers' });

    // Act
    const start = performance.now();
    const res = await pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    const audio = Buffer.from(await res.arrayBuffer());
    const tookMs = performance.now() - start;

    // Assess: the silent account was given its idle timeout, no more, and its connection closed.
    expect(audio).toEqual(fakeSpeech(INPUT));
    expect(tookMs).toBeGreaterThanOrEqual(IDLE_MS - 20);
    expect(calls.fake(calls.first()).unfinished).toHaveLength(1);
    expect(health.isCooling(`pool/${calls.first()}`)).toBe(true);
    expect(await pool.recordOf(res.headers.get('x-request-id'))).toMatchObject({ account: calls.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('hangs up on the silent account and books the call aborted, with no failover and no rest, when the client leaves while the first audio is awaited', async () => {
    // Prepare: the audio's headers, then nothing; the client gives up well before the idle timeout.
    const calls = pool.firstCallGets({ kind: 'hang-after-headers' });
    const leave = new AbortController();
    const call = pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT }, { signal: leave.signal }).catch((e: unknown) => e);

    // Act
    await eventually(() => expect(pool.one.requests.length + pool.two.requests.length).toBe(1));
    await new Promise((r) => setTimeout(r, IDLE_MS / 5));
    leave.abort();
    const err = await call;

    // Assess: the upstream's connection is closed at once, not left to its idle timeout.
    expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    await eventually(() => expect(calls.fake(calls.first()).unfinished).toHaveLength(1), IDLE_MS / 2);
    expect(calls.fake(calls.other()).requests).toHaveLength(0);
    expect(health.isCooling(`pool/${calls.first()}`)).toBe(false);
    // The client left before any answer, so no x-request-id names the call: its record is the suite's only aborted one.
    await eventually(async () => {
      await pool.gw.gateway.drain();
      const aborted = (await usageSince(pool.gw.table, pool.keyId, pool.startedAt)).filter((r) => r.outcome === 'aborted');
      expect(aborted).toEqual([expect.objectContaining({ provider: 'pool', account: calls.first(), attempts: 1, status: 499 })]);
    });
  });

  it('answers 502 when every account breaks off before any audio, each of them rested', async () => {
    // Prepare
    pool.one.reply({ kind: 'drop', afterChunks: 0 });
    pool.two.reply({ kind: 'drop', afterChunks: 0 });

    // Act
    const err = (await pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_interrupted' });
    expect(health.isCooling('pool/one')).toBe(true);
    expect(health.isCooling('pool/two')).toBe(true);
    expect(await pool.recordOf(err.requestID)).toMatchObject({ attempts: 2, status: 502, errorCode: 'upstream_interrupted' });
  });

  it('still fails the client\'s download, with no failover and no rest, when the account breaks off after audio went', async () => {
    // Prepare
    const calls = pool.firstCallGets({ kind: 'drop', afterChunks: 2 });

    // Act
    const res = await pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    const { relayed, failure } = await bodyUntilFailure(res);

    // Assess: two pieces reached the client; another account's audio cannot follow them.
    expect(failure).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(Buffer.concat(relayed)).toEqual(Buffer.concat(speechPieces(fakeSpeech(INPUT)).slice(0, 2)));
    expect(calls.fake(calls.other()).requests).toHaveLength(0);
    expect(health.isCooling(`pool/${calls.first()}`)).toBe(false);
    expect(await pool.recordOf(res.headers.get('x-request-id'))).toMatchObject({ account: calls.first(), attempts: 1, status: 200, outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });
});

describe("an account's speech timed", () => {
  it('by its first audio, the time a speech caller waits, not by its headers', async () => {
    // Prepare: both accounts send their headers at once and their audio 300 ms later.
    const late = { kind: 'raw' as const, status: 200, headers: { 'content-type': 'audio/mpeg' }, body: ['ID3 late audio'], delayMs: 300 };
    pool.one.reply(late);
    pool.two.reply(late);
    load.clearLatency();

    // Act
    const res = await pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    const audio = Buffer.from(await res.arrayBuffer());

    // Assess
    expect(audio.toString()).toBe('ID3 late audio');
    const { account } = await pool.recordOf(res.headers.get('x-request-id'));
    expect(load.latencyMs(`pool/${account}`, 'gpt-4o-mini-tts', false)).toBeGreaterThanOrEqual(250);
  });
});
