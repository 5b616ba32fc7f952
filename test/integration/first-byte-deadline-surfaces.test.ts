import { toFile } from 'openai';
import { AccountHealth } from '../../lib/routing/health';
import { newResponseFrame, responseBody } from '../fakes/openai-responses-wire';
import { eventually } from './harness';
import { openAIPoolForSuite } from './pool-rig';

/**
 * `timeouts.firstByteMs` is kept where every model call's attempts are (the upstream request and
 * `tryTargets`), not surface by surface: each surface whose answer comes in pieces (a stream,
 * speech's audio) fails over from an account that sent its headers and then nothing to the other,
 * within about the deadline, and the silent account is hung up on. A whole answer is not bound by
 * it: its account may take longer than the deadline to make it.
 */
const FIRST_BYTE_MS = 400;
const IDLE_MS = 10_000;
const FAILOVER_BOUND_MS = FIRST_BYTE_MS + 2_500;

const health = new AccountHealth();
const AUDIO = Buffer.from('fake mp3 bytes');

const pool = openAIPoolForSuite({
  pool: { timeouts: { headersMs: IDLE_MS, idleMs: IDLE_MS, firstByteMs: FIRST_BYTE_MS } },
  config: {
    models: [
      { name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] },
      { name: 'tts', price: { perRequest: 0.015 }, targets: [{ provider: 'pool', model: 'gpt-4o-mini-tts' }] },
      { name: 'transcribe', targets: [{ provider: 'pool', model: 'gpt-4o-transcribe' }] },
      { name: 'embed', targets: [{ provider: 'pool', model: 'text-embedding-3-small' }] },
    ],
    routing: { sticky: false },
  },
  gateway: { health },
  key: { name: 'first-byte-deadline-surfaces' },
});

/** What a call's answer came to, and which request it was. */
interface Called {
  got: unknown;
  requestId: string | null;
}

async function streamedText<T>(call: Promise<{ data: AsyncIterable<T>; response: Response }>, text: (event: T) => string): Promise<Called> {
  const { data, response } = await call;
  let got = '';
  for await (const event of data) got += text(event);
  return { got, requestId: response.headers.get('x-request-id') };
}

describe.each<[string, () => Promise<Called>, (got: unknown) => void]>([
  [
    'Responses, streamed',
    () => streamedText(pool.client.responses.create({ model: 'chat', input: 'Say hi.', stream: true }).withResponse(), (e) => (e.type === 'response.output_text.delta' ? e.delta : '')),
    (got) => expect(got).toBe('Echo: Say hi.'),
  ],
  [
    'Completions, streamed',
    () => streamedText(pool.client.completions.create({ model: 'chat', prompt: 'Say hi.', stream: true }).withResponse(), (c) => c.choices[0]?.text ?? ''),
    (got) => expect(got).toBe('Echo: Say hi.'),
  ],
  [
    'speech, before its first audio',
    async () => {
      const { data, response } = await pool.client.audio.speech.create({ model: 'tts', voice: 'alloy', input: 'Say hi.' }).withResponse();
      return { got: (await data.arrayBuffer()).byteLength, requestId: response.headers.get('x-request-id') };
    },
    (got) => expect(got).toBeGreaterThan(0),
  ],
])('%s', (_surface, call, answered) => {
  it('fails over from an account that sent its headers and then nothing, within about the deadline', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'hang-after-headers' });

    // Act
    const start = performance.now();
    const { got, requestId } = await call();
    const tookMs = performance.now() - start;

    // Assess
    answered(got);
    expect(tookMs).toBeGreaterThanOrEqual(FIRST_BYTE_MS - 20);
    expect(tookMs).toBeLessThan(FAILOVER_BOUND_MS);
    await eventually(() => expect(first.fake(first.first()).closedEarly).toHaveLength(1));
    expect(health.isCooling(`pool/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 2, status: 200 });
  });
});

const jsonHeaders = { 'content-type': 'application/json' };
const SLOW_MS = 2 * FIRST_BYTE_MS;

describe.each<[string, string, () => Promise<Called>, (got: unknown) => void]>([
  [
    'Responses, whole',
    responseBody(newResponseFrame('gpt-4o-mini', { input: 'Say hi.' }), { text: 'Slow but whole', finishReason: 'stop', usage: { prompt: 3, completion: 3 } }),
    async () => {
      const { data, response } = await pool.client.responses.create({ model: 'chat', input: 'Say hi.' }).withResponse();
      return { got: data.output_text, requestId: response.headers.get('x-request-id') };
    },
    (got) => expect(got).toBe('Slow but whole'),
  ],
  [
    'embeddings',
    JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5, 0.25] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 3, total_tokens: 3 } }),
    async () => {
      const { data, response } = await pool.client.embeddings.create({ model: 'embed', input: 'Say hi.', encoding_format: 'float' }).withResponse();
      return { got: data.data[0]!.embedding, requestId: response.headers.get('x-request-id') };
    },
    (got) => expect(got).toEqual([0.5, 0.25]),
  ],
  [
    'transcriptions',
    JSON.stringify({ text: 'Slow but whole' }),
    async () => {
      const { data, response } = await pool.client.audio.transcriptions.create({ model: 'transcribe', file: await toFile(AUDIO, 'a.mp3', { type: 'audio/mpeg' }) }).withResponse();
      return { got: data.text, requestId: response.headers.get('x-request-id') };
    },
    (got) => expect(got).toBe('Slow but whole'),
  ],
])('%s, a whole answer', (_surface, body, call, answered) => {
  it('is not bound by the deadline: an account that makes it in twice the deadline answers, uncut and not rested', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'raw', status: 200, headers: jsonHeaders, body: [body], delayMs: SLOW_MS });

    // Act
    const start = performance.now();
    const { got, requestId } = await call();
    const tookMs = performance.now() - start;

    // Assess
    answered(got);
    expect(tookMs).toBeGreaterThanOrEqual(SLOW_MS - 20);
    expect(first.fake(first.first()).closedEarly).toHaveLength(0);
    expect(first.fake(first.other()).requests).toHaveLength(0);
    expect(health.isCooling(`pool/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});
