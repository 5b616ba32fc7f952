import { request } from 'node:http';
import OpenAI from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { fakeSpeech, speechPieces, SPEECH_PIECES } from '../fakes/openai-media-wire';
import { minuteClock } from '../minute-window';
import { ADMIN_TOKEN, bodyUntilFailure, eventually, startHarness, UPSTREAM_KEY, type Harness } from './harness';

/**
 * Speech audio relayed as the upstream synthesises it: the fakes send it in pieces `GAP_MS` apart
 * (chunked, as OpenAI and Azure do), and the official openai client, reading the body as a stream,
 * must have the first piece long before the last is sent, the bytes identical, and the books a
 * stream's: time to first byte, `ok`, `aborted` when it hangs up, `interrupted` when the upstream breaks off.
 */
const GAP_MS = 150;
const AZURE_KEY = 'azure-upstream-key';
/** $0.015 per call: speech reports no usage in its audio, so its price per call is all it costs. */
const PER_CALL = 0.015;
const INPUT = 'The quick brown fox jumps over the lazy dog, and then reads the whole paragraph aloud.';

let h: Harness;
/** The gateway's clock: the budget case moves it clear of the end of its UTC day. */
const clock = minuteClock();
let paced: FakeOpenAI;
let azure: FakeAzureOpenAI;
let client: OpenAI;
let key: { id: string; key: string };

beforeAll(async () => {
  paced = await startFakeOpenAI({ apiKey: UPSTREAM_KEY, chunkDelayMs: GAP_MS });
  azure = await startFakeAzureOpenAI({ apiKey: AZURE_KEY, chunkDelayMs: GAP_MS });
  h = await startHarness({
    now: clock.now,
    credentials: { AZURE_KEY },
    config: ({ upstream }) => ({
      providers: [
        { id: 'paced', type: 'openai', baseUrl: paced.url, accounts: [{ id: 'p', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'az', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2025-04-01-preview', accounts: [{ id: 'z', apiKey: { env: 'AZURE_KEY' } }] },
      ],
      models: [
        { name: 'tts', price: { perRequest: PER_CALL }, targets: [{ provider: 'paced', model: 'gpt-4o-mini-tts' }] },
        { name: 'tts-failover', targets: [{ provider: 'primary', model: 'gpt-4o-mini-tts' }, { provider: 'paced', model: 'gpt-4o-mini-tts' }] },
        { name: 'tts-azure', targets: [{ provider: 'az', model: 'my-tts' }] },
      ],
    }),
  });
  key = await h.createKey({ name: 'speech', models: ['tts*'] });
  client = h.openai({ apiKey: key.key });
});
afterAll(async () => {
  await h.close();
  await paced.close();
  await azure.close();
});
beforeEach(() => {
  paced.reset();
  azure.reset();
  h.upstream.reset();
  h.health.clear();
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

/** A speech call by node:http itself: what it read, and whether the response ended or was aborted. */
function rawSpeech(body: object): Promise<{ status: number; bytes: Buffer; ended: boolean; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.gw.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` } }, (res) => {
      const chunks: Buffer[] = [];
      let ended = false;
      let aborted = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (ended = true));
      res.on('aborted', () => (aborted = true));
      // Emitted last, however the response went; an aborted one also errors (ECONNRESET), which `close` covers.
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode!, bytes: Buffer.concat(chunks), ended, aborted }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The key's latest record on `openai-audio`, once there is one that `check` accepts. */
async function record(keyId: string, check: (r: Awaited<ReturnType<Harness['usage']>>[number]) => boolean = () => true) {
  let found: Awaited<ReturnType<Harness['usage']>>[number] | undefined;
  await eventually(async () => {
    found = (await h.usage(keyId)).filter((r) => r.surface === 'openai-audio' && check(r)).at(-1);
    expect(found).toBeDefined();
  });
  return found!;
}

describe('speech audio relayed as it is synthesised', () => {
  it('hands the client the first audio long before the upstream sends the last, byte for byte, timed and booked ok', async () => {
    // Act
    const start = performance.now();
    const res = await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    const chunks = await timedChunks(res, start);

    // Assess
    const firstMs = chunks[0]!.at;
    const lastMs = chunks.at(-1)!.at;
    // The upstream sends its last piece (SPEECH_PIECES - 1) gaps after its first: read whole, the first byte would come after it.
    expect(firstMs).toBeLessThan(3 * GAP_MS);
    expect(lastMs - firstMs).toBeGreaterThanOrEqual((SPEECH_PIECES - 2) * GAP_MS);
    expect(chunks.length).toBeGreaterThanOrEqual(SPEECH_PIECES - 1);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.concat(chunks.map((c) => c.bytes))).toEqual(fakeSpeech(INPUT));
    const booked = await record(key.id);
    expect(booked).toMatchObject({ model: 'tts', provider: 'paced', status: 200, stream: false, outcome: 'ok', inputTokens: 0, outputTokens: 0, costMicros: PER_CALL * 1_000_000 });
    expect(booked.ttftMs).toBeLessThan(3 * GAP_MS);
    expect(booked.latencyMs).toBeGreaterThanOrEqual((SPEECH_PIECES - 1) * GAP_MS - 20);
  });

  it('relays Azure speech on the deployments path the same way', async () => {
    // Act
    const start = performance.now();
    const res = await client.audio.speech.create({ model: 'tts-azure', voice: 'alloy', input: INPUT, response_format: 'opus' });
    const chunks = await timedChunks(res, start);

    // Assess
    expect(azure.requests[0]?.path).toBe('/openai/deployments/my-tts/audio/speech');
    expect(res.headers.get('content-type')).toBe('audio/opus');
    expect(Buffer.concat(chunks.map((c) => c.bytes))).toEqual(fakeSpeech(INPUT, 'opus'));
    expect(chunks.at(-1)!.at - chunks[0]!.at).toBeGreaterThanOrEqual((SPEECH_PIECES - 2) * GAP_MS);
    expect(await record(key.id)).toMatchObject({ model: 'tts-azure', provider: 'az', outcome: 'ok', ttftMs: expect.any(Number) });
  });

  it('books the call aborted and closes the upstream connection when the client hangs up mid-audio', async () => {
    // Prepare
    const controller = new AbortController();
    const res = await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT }, { signal: controller.signal });
    const reader = res.body!.getReader();

    // Act
    const first = await reader.read();
    controller.abort();

    // Assess
    expect(Buffer.from(first.value!)).toEqual(speechPieces(fakeSpeech(INPUT))[0]);
    await eventually(() => expect(paced.unfinished).toHaveLength(1));
    const booked = await record(key.id, (r) => r.outcome === 'aborted');
    expect(booked).toMatchObject({ status: 200, outcome: 'aborted', ttftMs: expect.any(Number), costMicros: PER_CALL * 1_000_000 });
  });

  it('fails the client\'s download where the upstream broke off, after the audio that came, booked interrupted', async () => {
    // Prepare
    paced.reply({ kind: 'drop', afterChunks: 2 });

    // Act
    const res = await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    const { relayed, failure } = await bodyUntilFailure(res);

    // Assess: no error format exists inside raw audio; the transfer fails, as it would from OpenAI when the connection drops.
    // fetch's own word for a body cut off before its end (its error comes from Node's realm, not jest's).
    expect(failure).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(Buffer.concat(relayed)).toEqual(Buffer.concat(speechPieces(fakeSpeech(INPUT)).slice(0, 2)));
    expect(await record(key.id, (r) => r.outcome === 'interrupted')).toMatchObject({ status: 200, outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it('rejects arrayBuffer() of audio the upstream broke off, and a raw node:http client sees the response aborted', async () => {
    // Prepare
    paced.reply({ kind: 'drop', afterChunks: 2 });

    // Act
    const sdk = await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT }).then((res) => res.arrayBuffer()).catch((e: unknown) => e);
    const raw = await rawSpeech({ model: 'tts', voice: 'alloy', input: INPUT });

    // Assess: a clean end would have passed two pieces off as the whole audio.
    expect(sdk).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(raw).toMatchObject({ status: 200, aborted: true, ended: false });
    expect(raw.bytes).toEqual(Buffer.concat(speechPieces(fakeSpeech(INPUT)).slice(0, 2)));
  });

  it('still ends whole audio cleanly for every kind of client', async () => {
    // Act
    const sdk = Buffer.from(await (await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT })).arrayBuffer());
    const raw = await rawSpeech({ model: 'tts', voice: 'alloy', input: INPUT });

    // Assess
    expect(sdk).toEqual(fakeSpeech(INPUT));
    expect(raw).toMatchObject({ status: 200, aborted: false, ended: true });
    expect(raw.bytes).toEqual(fakeSpeech(INPUT));
  });

  it('answers the client\'s error, not an empty 200, and rests the account, when the upstream breaks off before any audio', async () => {
    // Prepare: the headers, then the connection closes.
    paced.reply({ kind: 'drop', afterChunks: 0 });

    // Act
    const err = (await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT }).then((res) => res.arrayBuffer()).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(h.health.isCooling('paced/p')).toBe(true);
    expect(await record(key.id, (r) => r.status === 502)).toMatchObject({ status: 502, errorCode: 'upstream_interrupted' });
  });

  it('maps an upstream refusal before any audio to the client\'s error, as before', async () => {
    // Prepare
    paced.reply({ kind: 'error', status: 400 });

    // Act
    const err = (await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(400);
    expect(await record(key.id)).toMatchObject({ status: 400, outcome: 'upstream_error' });
  });

  it('fails over before the first byte and relays the next target\'s audio', async () => {
    // Prepare
    h.upstream.reply({ kind: 'error', status: 503 });

    // Act
    const res = await client.audio.speech.create({ model: 'tts-failover', voice: 'alloy', input: INPUT });

    // Assess
    expect(Buffer.from(await res.arrayBuffer())).toEqual(fakeSpeech(INPUT));
    expect(await record(key.id)).toMatchObject({ model: 'tts-failover', provider: 'paced', attempts: 2, outcome: 'ok' });
  });

  it('settles a budget at the price per call once the audio has ended', async () => {
    // Prepare
    const budgeted = await h.createKey({ name: 'speech-budget', models: ['tts'], limits: { usdPerDay: 1 } });
    // The call's spend and the read of it on one UTC day, however late in a day the run.
    clock.clearOfDayEnd();

    // Act
    const res = await h.openai({ apiKey: budgeted.key }).audio.speech.create({ model: 'tts', voice: 'alloy', input: INPUT });
    await res.arrayBuffer();

    // Assess
    expect(await record(budgeted.id)).toMatchObject({ outcome: 'ok', costMicros: PER_CALL * 1_000_000 });
    const shown = (await (await fetch(`${h.gw.url}/admin/keys/${budgeted.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { spend: { kind: string; usedMicros: number }[] };
    expect(shown.spend.find((s) => s.kind === 'day')?.usedMicros).toBe(PER_CALL * 1_000_000);
  });
});
