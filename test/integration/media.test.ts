import OpenAI, { toFile } from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { multipartFields, multipartParts, multipartBoundary } from '../../lib/http/multipart';
import { fakeImage, fakeSpeech, fakeTranscript, imageUsage, speechEvents, transcriptionUsage } from '../fakes/openai-media-wire';
import type { RecordedRequest } from '../fakes/openai';
import { ADMIN_TOKEN, startHarness, UPSTREAM_KEY, type Harness } from './harness';
import { minuteClock } from '../minute-window';

/**
 * Images, audio and moderations through the gateway with the official openai client: passed
 * through to OpenAI-dialect upstreams (the model swapped in JSON and in uploads, files byte for
 * byte, audio and streams as they came), with refusals, failover, limits, prices per call and usage.
 */
const IMAGE_PRICE = { input: 5, output: 40 };
const TRANSCRIBE_PRICE = { input: 2.5, output: 10 };
const AZURE_KEY = 'azure-upstream-key';

let h: Harness;
/** The gateway's clock: the per-minute case moves it to the start of a minute, the budget cases clear of the end of its UTC day. */
const clock = minuteClock();
let azure: FakeAzureOpenAI;
let client: OpenAI;
let key: { id: string; key: string };

beforeAll(async () => {
  azure = await startFakeAzureOpenAI({ apiKey: AZURE_KEY });
  h = await startHarness({
    now: clock.now,
    credentials: { AZURE_KEY },
    config: ({ upstream, backup }) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'backup', type: 'openai-compatible', baseUrl: backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'az', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2025-04-01-preview', accounts: [{ id: 'z', apiKey: { env: 'AZURE_KEY' } }] },
      ],
      models: [
        { name: 'gpt-image-1', price: IMAGE_PRICE, targets: [{ provider: 'primary', model: 'gpt-image-1' }] },
        { name: 'image-alias', targets: [{ provider: 'primary', model: 'gpt-image-1' }] },
        { name: 'gpt-image-per-image', price: { perRequest: 0.04 }, targets: [{ provider: 'primary', model: 'gpt-image-1' }] },
        { name: 'dall-e-3', price: { perRequest: 0.04 }, targets: [{ provider: 'primary', model: 'dall-e-3' }] },
        { name: 'dall-e-2', price: { perRequest: 0.02 }, targets: [{ provider: 'primary', model: 'dall-e-2' }] },
        { name: 'image-failover', targets: [{ provider: 'primary', model: 'gpt-image-1' }, { provider: 'backup', model: 'gpt-image-1' }] },
        { name: 'image-claude', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }] },
        { name: 'secret-image', targets: [{ provider: 'primary', model: 'gpt-image-1' }] },
        { name: 'tts', targets: [{ provider: 'primary', model: 'gpt-4o-mini-tts' }] },
        { name: 'transcribe', price: TRANSCRIBE_PRICE, targets: [{ provider: 'primary', model: 'gpt-4o-transcribe' }] },
        { name: 'whisper-1', targets: [{ provider: 'primary', model: 'whisper-1' }] },
        { name: 'omni-moderation-latest', targets: [{ provider: 'primary', model: 'omni-moderation-latest' }] },
        { name: 'image-azure', targets: [{ provider: 'az', model: 'gpt-image-1' }] },
        { name: 'transcribe-azure', targets: [{ provider: 'az', model: 'my-transcriber' }] },
      ],
    }),
  });
  key = await h.createKey({ name: 'media', models: ['gpt-image-*', 'image-*', 'dall-e-*', 'tts', 'transcribe*', 'whisper-*', 'omni-*'] });
  client = h.openai({ apiKey: key.key });
});
afterAll(async () => {
  await h.close();
  await azure.close();
});
beforeEach(() => {
  azure.reset();
  h.upstream.reset();
  h.backup.reset();
  h.health.clear();
});

const AUDIO = Buffer.concat([Buffer.from('ID3'), Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d]), Buffer.from('not really audio')]);
const PNG = fakeImage('the original');

/** The text fields of an upload as the upstream received it. */
function uploadFields(sent: RecordedRequest): Record<string, string> {
  const raw = Buffer.from(sent.rawBody, 'latin1');
  const boundary = multipartBoundary(sent.headers['content-type'])!;
  return multipartFields(raw, multipartParts(raw, boundary));
}

const lastRecord = async (surface: string) => (await h.usage(key.id)).filter((r) => r.surface === surface).at(-1)!;

describe('images', () => {
  it('generates an image as b64_json, its token usage recorded and priced', async () => {
    // Act
    const res = await client.images.generate({ model: 'gpt-image-1', prompt: 'a cat in a hat' });

    // Assess
    expect(res.data?.[0]?.b64_json).toBe(fakeImage('a cat in a hat').toString('base64'));
    expect(res.usage).toEqual(imageUsage('a cat in a hat', 1));
    expect(h.upstream.requests[0]).toMatchObject({ path: '/v1/images/generations', body: { model: 'gpt-image-1', prompt: 'a cat in a hat' }, headers: { authorization: `Bearer ${UPSTREAM_KEY}` } });
    const usage = imageUsage('a cat in a hat', 1);
    expect(await lastRecord('openai-images')).toMatchObject({
      model: 'gpt-image-1',
      provider: 'primary',
      status: 200,
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      costMicros: usage.input_tokens * IMAGE_PRICE.input + usage.output_tokens * IMAGE_PRICE.output,
    });
  });

  it('streams two images with partials, recording both images and the tokens of both', async () => {
    // Act
    const stream = await client.images.generate({ model: 'gpt-image-1', prompt: 'two cats', n: 2, stream: true, partial_images: 1 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);

    // Assess
    expect(types).toEqual(['image_generation.partial_image', 'image_generation.completed', 'image_generation.partial_image', 'image_generation.completed']);
    const one = imageUsage('two cats', 1);
    // The prompt is read once (as the whole answer's usage counts it); each image's output tokens are its own.
    const output = 2 * one.output_tokens;
    expect(await lastRecord('openai-images')).toMatchObject({
      stream: true,
      outcome: 'ok',
      billedUnits: 2,
      inputTokens: one.input_tokens,
      outputTokens: output,
      costMicros: one.input_tokens * IMAGE_PRICE.input + output * IMAGE_PRICE.output,
    });
  });

  it('bills a streamed dall-e-style price per image for each completed image', async () => {
    // Act
    const stream = await client.images.generate({ model: 'gpt-image-per-image', prompt: 'three dogs', n: 3, stream: true });
    for await (const _event of stream) void _event;

    // Assess
    expect(await lastRecord('openai-images')).toMatchObject({ stream: true, billedUnits: 3, costMicros: 3 * 40_000 });
  });

  it('swaps the model in a JSON body', async () => {
    await client.images.generate({ model: 'image-alias', prompt: 'x', response_format: 'url' });

    expect(h.upstream.requests[0]?.body).toEqual({ model: 'gpt-image-1', prompt: 'x', response_format: 'url' });
  });

  it('edits an uploaded image, the model swapped in its part and the file arriving byte for byte', async () => {
    // Act
    const res = await client.images.edit({ model: 'image-alias', image: await toFile(PNG, 'cat.png', { type: 'image/png' }), prompt: 'add a hat' });

    // Assess
    expect(res.data?.[0]?.b64_json).toBe(fakeImage(`add a hat | ${fakeTranscript('cat.png', PNG)}`).toString('base64'));
    const sent = h.upstream.requests[0]!;
    expect(sent.path).toBe('/v1/images/edits');
    expect(uploadFields(sent)).toEqual({ model: 'gpt-image-1', prompt: 'add a hat' });
    expect((await lastRecord('openai-images')).model).toBe('image-alias');
  });
});

describe('audio', () => {
  it('speaks: the audio bytes and their content type as the upstream sent them', async () => {
    // Act
    const res = await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: 'Hello there', response_format: 'wav' });

    // Assess
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(fakeSpeech('Hello there', 'wav'));
    expect(h.upstream.requests[0]?.body).toMatchObject({ model: 'gpt-4o-mini-tts', input: 'Hello there' });
    expect(await lastRecord('openai-audio')).toMatchObject({ model: 'tts', status: 200, stream: false, outcome: 'ok' });
  });

  it('streams speech as SSE events, passed through and metered', async () => {
    const res = await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: 'Hello there', stream_format: 'sse' });

    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(await res.text()).toBe(speechEvents(fakeSpeech('Hello there'), 'Hello there').join(''));
    expect(await lastRecord('openai-audio')).toMatchObject({ stream: true, outcome: 'ok', inputTokens: 2, outputTokens: fakeSpeech('Hello there').byteLength });
  });

  it('transcribes an uploaded file as JSON, the model swapped in its part, the usage priced', async () => {
    // Act
    const res = await client.audio.transcriptions.create({ model: 'transcribe', file: await toFile(AUDIO, 'a.mp3', { type: 'audio/mpeg' }) });

    // Assess
    const heard = fakeTranscript('a.mp3', AUDIO);
    expect(res.text).toBe(heard);
    expect(uploadFields(h.upstream.requests[0]!)).toMatchObject({ model: 'gpt-4o-transcribe' });
    const usage = transcriptionUsage(AUDIO.byteLength, heard);
    expect(await lastRecord('openai-audio')).toMatchObject({
      model: 'transcribe',
      upstreamModel: 'gpt-4o-transcribe',
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      costMicros: Math.ceil(usage.input_tokens * TRANSCRIBE_PRICE.input + usage.output_tokens * TRANSCRIBE_PRICE.output),
    });
  });

  it('transcribes as text', async () => {
    const res = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(AUDIO, 'a.mp3'), response_format: 'text' });

    expect(res).toBe(`${fakeTranscript('a.mp3', AUDIO)}\n`);
    expect(uploadFields(h.upstream.requests[0]!)).toEqual({ model: 'whisper-1', response_format: 'text' });
  });

  // OpenAI: "Streaming is not supported for the whisper-1 model and will be ignored." Its answer is then a whole one.
  it.each([
    { format: 'text', contentType: 'text/plain; charset=utf-8', body: `${fakeTranscript('a.mp3', AUDIO)}\n` },
    { format: 'srt', contentType: 'text/plain; charset=utf-8', body: `1\n00:00:00,000 --> 00:00:03,000\n${fakeTranscript('a.mp3', AUDIO)}\n\n` },
  ])('passes on a whole $format answer as it came when the upstream ignored stream=true', async ({ format, contentType, body }) => {
    // Prepare
    const form = new FormData();
    form.set('model', 'whisper-1');
    form.set('stream', 'true');
    form.set('response_format', format);
    form.set('file', new Blob([AUDIO]), 'a.mp3');

    // Act
    const res = await fetch(`${h.gw.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}` }, body: form });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(contentType);
    expect(await res.text()).toBe(body);
    expect(await lastRecord('openai-audio')).toMatchObject({ model: 'whisper-1', status: 200, stream: false, outcome: 'ok' });
  });

  it('streams a transcription: transcript.text.delta events, then done with usage', async () => {
    // Act
    const stream = await client.audio.transcriptions.create({ model: 'transcribe', file: await toFile(AUDIO, 'a.mp3'), stream: true });
    let text = '';
    let done: string | undefined;
    for await (const event of stream) {
      if (event.type === 'transcript.text.delta') text += event.delta;
      if (event.type === 'transcript.text.done') done = event.text;
    }

    // Assess
    const heard = fakeTranscript('a.mp3', AUDIO);
    expect(text).toBe(heard);
    expect(done).toBe(heard);
    expect(await lastRecord('openai-audio')).toMatchObject({ stream: true, outcome: 'ok', outputTokens: transcriptionUsage(AUDIO.byteLength, heard).output_tokens });
  });

  it('translates an uploaded file', async () => {
    const res = await client.audio.translations.create({ model: 'whisper-1', file: await toFile(AUDIO, 'b.wav') });

    expect(res.text).toBe(fakeTranscript('b.wav', AUDIO));
    expect(h.upstream.requests[0]?.path).toBe('/v1/audio/translations');
  });
});

describe('moderations', () => {
  it('moderates texts', async () => {
    const res = await client.moderations.create({ model: 'omni-moderation-latest', input: ['hello', 'I will kill the process'] });

    expect(res.results.map((r) => r.flagged)).toEqual([false, true]);
    expect(await lastRecord('openai-moderations')).toMatchObject({ model: 'omni-moderation-latest', status: 200 });
  });
});

describe('Azure OpenAI', () => {
  it('generates an image on the deployments path, the deployment in the URL and none in the body', async () => {
    const res = await client.images.generate({ model: 'image-azure', prompt: 'a fox' });

    expect(res.data?.[0]?.b64_json).toBe(fakeImage('a fox').toString('base64'));
    const sent = azure.requests[0]!;
    expect(sent.path).toBe('/openai/deployments/gpt-image-1/images/generations');
    expect(sent.search).toBe('?api-version=2025-04-01-preview');
    expect(sent.headers['api-key']).toBe(AZURE_KEY);
    expect(sent.body).toEqual({ prompt: 'a fox' });
    expect(await lastRecord('openai-images')).toMatchObject({ provider: 'az', outputTokens: imageUsage('a fox', 1).output_tokens });
  });

  it('transcribes an upload on the deployments path, its model part removed', async () => {
    const res = await client.audio.transcriptions.create({ model: 'transcribe-azure', file: await toFile(AUDIO, 'a.mp3'), language: 'en' });

    expect(res.text).toBe(fakeTranscript('a.mp3', AUDIO));
    expect(azure.requests[0]?.path).toBe('/openai/deployments/my-transcriber/audio/transcriptions');
    expect(uploadFields(azure.requests[0]!)).toEqual({ language: 'en' });
  });
});

describe('refusals, failover and limits', () => {
  it.each([
    ['a model the key may not use', 'secret-image', 403, 'model_not_allowed'],
    ['an unknown model', 'no-such-image', 404, 'model_not_found'],
    ['a model whose targets are all Anthropic', 'image-claude', 400, 'unsupported_parameter'],
  ])('refuses %s', async (_name, model, status, code) => {
    const err = (await client.images.generate({ model, prompt: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect({ status: err.status, code: err.code }).toEqual({ status, code });
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('names the provider types when no target serves the operation', async () => {
    const err = (await client.audio.transcriptions.create({ model: 'image-claude', file: await toFile(AUDIO, 'a.mp3') }).catch((e: unknown) => e)) as Error;

    expect(err.message).toContain('Audio transcriptions are not supported by provider type anthropic');
  });

  it('fails over to the next target on a 503', async () => {
    h.upstream.reply({ kind: 'error', status: 503 });

    const res = await client.images.generate({ model: 'image-failover', prompt: 'x' });

    expect(res.data?.[0]?.b64_json).toBe(fakeImage('x').toString('base64'));
    expect(h.upstream.requests).toHaveLength(1);
    expect(h.backup.requests).toHaveLength(1);
    expect(await lastRecord('openai-images')).toMatchObject({ provider: 'backup', attempts: 2 });
  });

  it('passes an upstream 400 on in its shape', async () => {
    const form = new FormData();
    form.set('model', 'whisper-1');
    const res = await fetch(`${h.gw.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}` }, body: form });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'file', code: 'missing_required_parameter' } });
  });

  it('refuses a body that is not multipart on an upload endpoint', async () => {
    const res = await fetch(`${h.gw.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: '{"model":"whisper-1"}' });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_content_type' } });
  });

  it('limits requests per minute as for chat', async () => {
    const limited = await h.createKey({ name: 'rpm', models: ['omni-*'], limits: { requestsPerMinute: 1 } });
    const c = h.openai({ apiKey: limited.key });
    // Both calls in one minute's window, or the second is let through.
    clock.startMinute();

    await c.moderations.create({ model: 'omni-moderation-latest', input: 'a' });
    const err = (await c.moderations.create({ model: 'omni-moderation-latest', input: 'b' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    expect(err.status).toBe(429);
    expect(h.upstream.requests).toHaveLength(1);
  });

  it('holds and settles a price per request against a budget', async () => {
    // Arrange: room for two images at $0.04, not three.
    const budgeted = await h.createKey({ name: 'budget', models: ['dall-e-*', 'tts'], limits: { usdPerDay: 0.1 } });
    // The calls, the refusal and the read of the day's spend on one UTC day, however late in a day the run.
    clock.clearOfDayEnd();
    const c = h.openai({ apiKey: budgeted.key });

    // Act
    await c.images.generate({ model: 'dall-e-3', prompt: 'one' });
    await c.images.generate({ model: 'dall-e-3', prompt: 'two' });
    const third = (await c.images.generate({ model: 'dall-e-3', prompt: 'three' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    const unpriced = (await c.audio.speech.create({ model: 'tts', voice: 'alloy', input: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect({ status: third.status, code: third.code }).toEqual({ status: 429, code: 'insufficient_quota' });
    expect({ status: unpriced.status, code: unpriced.code }).toEqual({ status: 403, code: 'model_not_priced' });
    const records = await h.usage(budgeted.id);
    expect(records.filter((r) => r.status === 200).map((r) => r.costMicros)).toEqual([40_000, 40_000]);
    const shown = (await (await fetch(`${h.gw.url}/admin/keys/${budgeted.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { spend: { kind: string; usedMicros: number }[] };
    expect(shown.spend.find((s) => s.kind === 'day')?.usedMicros).toBe(80_000);
  });

  it('charges a price per image for each image made, and holds one for each asked, in JSON and in uploads', async () => {
    // Arrange: room for four images at $0.02, not five.
    const budgeted = await h.createKey({ name: 'per-image', models: ['dall-e-*'], limits: { usdPerDay: 0.08 } });
    clock.clearOfDayEnd();
    const c = h.openai({ apiKey: budgeted.key });

    // Act
    const three = await c.images.generate({ model: 'dall-e-2', prompt: 'three cats', n: 3 });
    const tooMany = (await c.images.generate({ model: 'dall-e-2', prompt: 'two more', n: 2 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    const edited = await c.images.edit({ model: 'dall-e-2', prompt: 'one edit', n: 1, image: await toFile(PNG, 'cat.png', { type: 'image/png' }) });

    // Assess
    expect(three.data).toHaveLength(3);
    expect(edited.data).toHaveLength(1);
    expect({ status: tooMany.status, code: tooMany.code }).toEqual({ status: 429, code: 'insufficient_quota' });
    const records = (await h.usage(budgeted.id)).filter((r) => r.status === 200);
    expect(records.map((r) => ({ costMicros: r.costMicros, billedUnits: r.billedUnits }))).toEqual([
      { costMicros: 60_000, billedUnits: 3 },
      { costMicros: 20_000, billedUnits: 1 },
    ]);
    const shown = (await (await fetch(`${h.gw.url}/admin/keys/${budgeted.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { spend: { kind: string; usedMicros: number }[] };
    expect(shown.spend.find((s) => s.kind === 'day')?.usedMicros).toBe(80_000);
  });

  it('charges no price per request for a call the upstream refused', async () => {
    // Arrange: OpenAI bills no image it refused to make.
    const budgeted = await h.createKey({ name: 'refused', models: ['dall-e-*'], limits: { usdPerDay: 0.1 } });
    // Read on the day the refused call was made: a read of the next day's would find 0 whatever the call held.
    clock.clearOfDayEnd();
    const c = h.openai({ apiKey: budgeted.key });
    h.upstream.reply({ kind: 'error', status: 400 });

    // Act
    const err = (await c.images.generate({ model: 'dall-e-3', prompt: 'refused' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err.status).toBe(400);
    expect((await h.usage(budgeted.id)).map((r) => ({ status: r.status, costMicros: r.costMicros }))).toEqual([{ status: 400, costMicros: 0 }]);
    const shown = (await (await fetch(`${h.gw.url}/admin/keys/${budgeted.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { spend: { kind: string; usedMicros: number }[] };
    expect(shown.spend.find((s) => s.kind === 'day')?.usedMicros).toBe(0);
  });
});
