/**
 * OpenAI's image, audio and moderation endpoints as the fake OpenAI answers them, in the shapes
 * the API documents (and the `openai` client's types declare): `ImagesResponse`, speech audio
 * bytes (in pieces, as synthesised) or `speech.audio.*` events, `Transcription` JSON / text / srt / vtt or
 * `transcript.text.*` events, `ModerationCreateResponse`, and the 400s for what is missing.
 * Uploads are read with Node's own multipart parser (undici's `Response.formData()`), not the
 * gateway's, so a framing mistake of the gateway's cannot hide behind the same mistake here.
 * Every answer is a pure function of the request, so a test can compute what it must receive.
 */
import { createHash } from 'node:crypto';
import type { RecordedRequest } from './http';
import type { OpenAIErrorBody } from './openai-wire';

/** The media routes of the fake, by `METHOD path`. */
export const MEDIA_ROUTES = {
  'POST /v1/images/generations': 'image',
  'POST /v1/images/edits': 'image-edit',
  'POST /v1/audio/speech': 'speech',
  'POST /v1/audio/transcriptions': 'transcription',
  'POST /v1/audio/translations': 'translation',
  'POST /v1/moderations': 'moderation',
} as const;
export type MediaRoute = (typeof MEDIA_ROUTES)[keyof typeof MEDIA_ROUTES];

/**
 * What the fake writes: a whole body with its content type, SSE events, or audio in pieces (speech:
 * chunked transfer, no content-length, each piece sent as it is synthesised, `chunkDelayMs` apart).
 */
export type MediaAnswer = { status: number; contentType: string; body: string | Buffer } | { status: 200; events: string[] } | { status: 200; contentType: string; pieces: Buffer[] };

const error = (message: string, param: string | null, code: string | null): OpenAIErrorBody => ({ error: { message, type: 'invalid_request_error', param, code } });
const missing = (param: string) => error(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
const refuse = (body: OpenAIErrorBody): MediaAnswer => ({ status: 400, contentType: 'application/json', body: `${JSON.stringify(body, null, 4)}\n` });
const bad = (param: string, message: string) => refuse(error(message, param, 'invalid_value'));
const json = (value: unknown): MediaAnswer => ({ status: 200, contentType: 'application/json', body: `${JSON.stringify(value, null, 2)}\n` });
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/** The model families that count tokens (gpt-image-1, gpt-4o-transcribe, gpt-4o-mini-tts); whisper, dall-e and tts-1 do not. */
const countsTokens = (model: string) => /^gpt-/.test(model);

/** The fake's image for a prompt: a PNG signature then the prompt's hash, so tests can check what arrived. */
export function fakeImage(prompt: string, index = 0): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), createHash('sha256').update(`${index}:${prompt}`).digest()]);
}

/** The image tokens the fake reports for gpt-image models: text tokens by words, 272 output tokens per image (a low-quality square). */
export function imageUsage(prompt: string, n: number, inputImages = 0) {
  const text = prompt.split(/\s+/).filter(Boolean).length;
  const image = inputImages * 65;
  return { input_tokens: text + image, input_tokens_details: { text_tokens: text, image_tokens: image }, output_tokens: 272 * n, total_tokens: text + image + 272 * n };
}

/** The fake's speech: a few header bytes of the format, then the input, byte-exact for tests. */
export function fakeSpeech(input: string, format = 'mp3'): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x00]), Buffer.from(`${format}:${input}`)]);
}

const SPEECH_TYPES: Record<string, string> = { mp3: 'audio/mpeg', opus: 'audio/opus', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };

/** What the fake hears in an upload: the file's name, size and hash, so a test knows the bytes arrived intact. */
export function fakeTranscript(filename: string, bytes: Uint8Array): string {
  return `Heard ${filename} (${bytes.byteLength} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)})`;
}

/** The usage a gpt-4o transcription reports: audio tokens by size, output tokens by words. */
export function transcriptionUsage(bytes: number, text: string) {
  const audio = Math.max(1, Math.ceil(bytes / 100));
  const output = text.split(/\s+/).length;
  return { type: 'tokens', input_tokens: audio, input_token_details: { text_tokens: 0, audio_tokens: audio }, output_tokens: output, total_tokens: audio + output };
}

/**
 * The fake's answer to a media request that the test left to it. `deploymentModel` is the model
 * an Azure deployment serves, where the URL names it instead of the body.
 */
export async function mediaAnswer(route: MediaRoute, record: RecordedRequest, raw: Buffer, deploymentModel?: string): Promise<MediaAnswer> {
  const body = record.body === undefined || deploymentModel === undefined ? (record.body as Record<string, unknown> | undefined) : { ...(record.body as object), model: deploymentModel };
  switch (route) {
    case 'image':
      return imageGeneration(body);
    case 'speech':
      return speech(body);
    case 'moderation':
      return moderation(body);
    default:
      return upload(route, record, raw, deploymentModel);
  }
}

function imageGeneration(body: Record<string, unknown> | undefined): MediaAnswer {
  if (typeof body?.model !== 'string') return bad('model', 'you must provide a model parameter');
  if (typeof body.prompt !== 'string') return refuse(missing('prompt'));
  const n = typeof body.n === 'number' ? body.n : 1;
  if (body.stream === true) return { status: 200, events: imageEvents(body.prompt, n, typeof body.partial_images === 'number' ? body.partial_images : 0) };
  return json(imagesResponse(body.model, body.prompt, typeof body.n === 'number' ? body.n : 1, body.response_format === 'url' ? 'url' : 'b64_json', 0));
}

function imagesResponse(model: string, prompt: string, n: number, format: 'url' | 'b64_json', inputImages: number) {
  const data = Array.from({ length: n }, (_, i) =>
    format === 'url' ? { url: `https://images.example.invalid/${fakeImage(prompt, i).toString('hex').slice(16, 32)}.png`, revised_prompt: prompt } : { b64_json: fakeImage(prompt, i).toString('base64') },
  );
  return { created: Math.floor(Date.now() / 1000), data, ...(countsTokens(model) ? { background: 'opaque', output_format: 'png', quality: 'low', size: '1024x1024', usage: imageUsage(prompt, n, inputImages) } : {}) };
}

/**
 * gpt-image-1's stream: for each of the `n` images, `partial_images` `image_generation.partial_image`
 * events, then its `image_generation.completed` event with the image and that image's usage (the
 * prompt's tokens, its own 272 output tokens), as OpenAI's `ImageGenCompletedEvent` carries them.
 */
export function imageEvents(prompt: string, n: number, partials: number): string[] {
  const events: string[] = [];
  const named = (type: string, value: object) => `event: ${type}\n${sse({ type, ...value })}`;
  for (let i = 0; i < n; i++) {
    const b64 = fakeImage(prompt, i).toString('base64');
    for (let p = 0; p < partials; p++) events.push(named('image_generation.partial_image', { b64_json: b64.slice(0, 8), partial_image_index: p, created_at: 1_700_000_000, size: '1024x1024', quality: 'low', background: 'opaque', output_format: 'png' }));
    events.push(named('image_generation.completed', { b64_json: b64, created_at: 1_700_000_000, size: '1024x1024', quality: 'low', background: 'opaque', output_format: 'png', usage: imageUsage(prompt, 1) }));
  }
  return events;
}

function speech(body: Record<string, unknown> | undefined): MediaAnswer {
  if (typeof body?.model !== 'string') return bad('model', 'you must provide a model parameter');
  if (typeof body.input !== 'string') return refuse(missing('input'));
  const format = typeof body.response_format === 'string' ? body.response_format : 'mp3';
  const audio = fakeSpeech(body.input, format);
  if (body.stream_format === 'sse') return { status: 200, events: speechEvents(audio, body.input) };
  return { status: 200, contentType: SPEECH_TYPES[format] ?? 'application/octet-stream', pieces: speechPieces(audio) };
}

/** How many pieces the fake's speech audio comes in (fewer when it has fewer bytes). */
export const SPEECH_PIECES = 5;

/**
 * The audio as the real API sends it: in pieces as it is synthesised (chunked transfer), the
 * first a few header bytes of the format; `SPEECH_PIECES` of near-equal size, in order.
 */
export function speechPieces(audio: Buffer, count = SPEECH_PIECES): Buffer[] {
  const size = Math.ceil(audio.byteLength / Math.min(count, audio.byteLength));
  const pieces: Buffer[] = [];
  for (let at = 0; at < audio.byteLength; at += size) pieces.push(audio.subarray(at, at + size));
  return pieces;
}

/** `speech.audio.delta` events of the audio in base64 pieces, then `speech.audio.done` with usage. */
export function speechEvents(audio: Buffer, input: string): string[] {
  const pieces = [audio.subarray(0, 4), audio.subarray(4)].map((piece) => sse({ type: 'speech.audio.delta', audio: piece.toString('base64') }));
  const words = input.split(/\s+/).length;
  return [...pieces, sse({ type: 'speech.audio.done', usage: { input_tokens: words, output_tokens: audio.byteLength, total_tokens: words + audio.byteLength } })];
}

function moderation(body: Record<string, unknown> | undefined): MediaAnswer {
  if (body?.input === undefined) return refuse(missing('input'));
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const model = typeof body.model === 'string' ? body.model : 'omni-moderation-latest';
  const results = inputs.map((input) => {
    const violent = JSON.stringify(input).includes('kill');
    return {
      flagged: violent,
      categories: { harassment: false, 'harassment/threatening': false, hate: false, 'hate/threatening': false, illicit: false, 'illicit/violent': false, 'self-harm': false, 'self-harm/instructions': false, 'self-harm/intent': false, sexual: false, 'sexual/minors': false, violence: violent, 'violence/graphic': false },
      category_scores: { harassment: 0.0001, 'harassment/threatening': 0.0001, hate: 0.0001, 'hate/threatening': 0.0001, illicit: 0.0001, 'illicit/violent': 0.0001, 'self-harm': 0.0001, 'self-harm/instructions': 0.0001, 'self-harm/intent': 0.0001, sexual: 0.0001, 'sexual/minors': 0.0001, violence: violent ? 0.97 : 0.0001, 'violence/graphic': 0.0001 },
      category_applied_input_types: { violence: ['text'] },
    };
  });
  return json({ id: `modr-${createHash('sha256').update(JSON.stringify(body.input)).digest('hex').slice(0, 24)}`, model, results });
}

/** Image edits, transcriptions and translations: multipart uploads, read as OpenAI reads them. */
async function upload(route: MediaRoute, record: RecordedRequest, raw: Buffer, deploymentModel: string | undefined): Promise<MediaAnswer> {
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': String(record.headers['content-type'] ?? '') } }).formData();
  } catch {
    return bad('file', 'Could not parse multipart form');
  }
  const model = deploymentModel ?? form.get('model');
  if (typeof model !== 'string') return bad('model', 'you must provide a model parameter');
  const text = (name: string) => (typeof form.get(name) === 'string' ? (form.get(name) as string) : undefined);
  if (route === 'image-edit') {
    const images = [...form.getAll('image'), ...form.getAll('image[]')].filter((v): v is File => typeof v !== 'string');
    if (images.length === 0) return refuse(missing('image'));
    const prompt = text('prompt');
    if (prompt === undefined) return refuse(missing('prompt'));
    const heard = await Promise.all(images.map(async (image) => fakeTranscript(image.name, new Uint8Array(await image.arrayBuffer()))));
    return json(imagesResponse(model, `${prompt} | ${heard.join(' | ')}`, Number(text('n') ?? 1), text('response_format') === 'url' ? 'url' : 'b64_json', images.length));
  }
  const file = form.get('file');
  if (file === null || typeof file === 'string') return refuse(missing('file'));
  const heard = fakeTranscript(file.name, new Uint8Array(await file.arrayBuffer()));
  const usage = countsTokens(model) ? transcriptionUsage(file.size, heard) : { type: 'duration', seconds: 3 };
  if (route === 'transcription' && text('stream') === 'true' && countsTokens(model)) return { status: 200, events: transcriptEvents(heard, usage) };
  return transcriptionBody(heard, text('response_format') ?? 'json', route === 'transcription' ? usage : undefined);
}

/** A transcription (or translation) in the format asked for; translations carry no usage. */
function transcriptionBody(text: string, format: string, usage: object | undefined): MediaAnswer {
  switch (format) {
    case 'text':
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: `${text}\n` };
    case 'srt':
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: `1\n00:00:00,000 --> 00:00:03,000\n${text}\n\n` };
    case 'vtt':
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: `WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n${text}\n\n` };
    case 'verbose_json':
      return json({ task: 'transcribe', language: 'english', duration: 3, text, segments: [], ...(usage ? { usage } : {}) });
    default:
      return json({ text, ...(usage ? { usage } : {}) });
  }
}

/** `transcript.text.delta` per word, then `transcript.text.done` with the whole text and usage. */
export function transcriptEvents(text: string, usage: object): string[] {
  const words = text.split(' ');
  return [...words.map((word, i) => sse({ type: 'transcript.text.delta', delta: i === 0 ? word : ` ${word}` })), sse({ type: 'transcript.text.done', text, usage })];
}
