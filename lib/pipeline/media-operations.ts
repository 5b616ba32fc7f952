/**
 * OpenAI's image, audio and moderation endpoints, passed through to OpenAI-dialect targets
 * (`openai`, `openai-compatible`, `azure-openai`) by `openAIOnlyCall`: the body (JSON, or a
 * multipart upload rewritten in its `model` part alone) and the answer's bytes (JSON, text, audio,
 * media streams) go on as they are, audio as it arrives (`raw-media.ts`). Nothing is translated:
 * no other provider type has these APIs.
 */
import { checkImageGeneration, checkMediaModel, checkModeration, checkSpeech, streamField } from '../surfaces/openai-media/request';
import { worstCaseOfCall } from './budget';
import { asksForStream, type OpenAIOnlyOperation } from './openai-only';
import { OPENAI_MEDIA_READER } from './passthrough';

/** Without token prices, a call's worst case is its price per call; with them, its body's size as prompt plus the output allowance. */
const worstCase: OpenAIOnlyOperation['worstCase'] = (call, _targets, config) => worstCaseOfCall(call, undefined, config);

/**
 * How many images a call asks for: its `n` (a number in JSON, a text field in an upload), else
 * one. Images are priced per image (`perRequest` is the price of one), so a call holds `n` of them.
 */
export function imagesAsked(body: Record<string, unknown>): number {
  const n = typeof body.n === 'string' && /^\d+$/.test(body.n) ? Number(body.n) : body.n;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * An image call's worst case: `n` images at the price per call, and, with token prices, `n` times
 * the output allowance. An upload's `n` is text (`"3"`), which the allowance would not count: it
 * is given as the number it stands for.
 */
const worstCaseOfImages: OpenAIOnlyOperation['worstCase'] = (call, _targets, config) => {
  const n = imagesAsked(call.body);
  return worstCaseOfCall({ ...call, body: { ...call.body, n } }, undefined, config, n);
};

/**
 * An image answer's use: its tokens (gpt-image-1 reports them) and, as the units its price per
 * call is charged for, the images it holds (`data`), fewer than asked when the model made fewer.
 * A streamed answer (gpt-image-1's `stream: true`) is counted by its relay instead
 * (`MediaStreamMeter`): one unit per `.completed` image, the tokens of all of them.
 */
const meterImages: OpenAIOnlyOperation['meter'] = (_call, ctx) =>
  function imagesUsage(json) {
    const data = (json as { data?: unknown } | null)?.data;
    if (Array.isArray(data) && data.length > 0) ctx.billedUnits = data.length;
    return OPENAI_MEDIA_READER.usageOf(json);
  };

const JSON_BODY = { multipart: false };
const UPLOAD = { multipart: true };

/** `POST /v1/images/generations`: `b64_json` or `url` answers, gpt-image-1's `usage` metered; its `stream: true` partial images pass through. */
export const IMAGES_GENERATIONS: OpenAIOnlyOperation = {
  surface: 'openai-images',
  path: 'images/generations',
  title: 'Image generations',
  validate: checkImageGeneration,
  streamed: asksForStream,
  worstCase: worstCaseOfImages,
  meter: meterImages,
  media: JSON_BODY,
};

/** `POST /v1/images/edits`: a multipart upload of `image` file(s), an optional `mask`, `prompt` and `model`. */
export const IMAGES_EDITS: OpenAIOnlyOperation = {
  surface: 'openai-images',
  path: 'images/edits',
  title: 'Image edits',
  validate: checkMediaModel,
  streamed: streamField,
  worstCase: worstCaseOfImages,
  meter: meterImages,
  media: UPLOAD,
};

/**
 * `POST /v1/audio/speech`: JSON in, audio bytes out as `response_format` asks, relayed chunk by
 * chunk as the upstream synthesises them (`rawMediaAnswer`); `stream_format: "sse"` streams
 * `speech.audio.delta` events.
 */
export const AUDIO_SPEECH: OpenAIOnlyOperation = {
  surface: 'openai-audio',
  path: 'audio/speech',
  title: 'Speech requests (/v1/audio/speech)',
  validate: checkSpeech,
  streamed: (body) => body.stream_format === 'sse',
  inPieces: true,
  worstCase,
  media: JSON_BODY,
};

/** `POST /v1/audio/transcriptions`: an upload of `file` and `model`; JSON, text, srt or vtt back; `stream=true` streams `transcript.text.*` events. */
export const AUDIO_TRANSCRIPTIONS: OpenAIOnlyOperation = {
  surface: 'openai-audio',
  path: 'audio/transcriptions',
  title: 'Audio transcriptions',
  validate: checkMediaModel,
  streamed: streamField,
  worstCase,
  media: UPLOAD,
};

/** `POST /v1/audio/translations`: as transcriptions, into English; never streamed. */
export const AUDIO_TRANSLATIONS: OpenAIOnlyOperation = {
  surface: 'openai-audio',
  path: 'audio/translations',
  title: 'Audio translations',
  validate: checkMediaModel,
  worstCase,
  media: UPLOAD,
};

/** `POST /v1/moderations`: text or images in, categories and scores out. */
export const MODERATIONS: OpenAIOnlyOperation = {
  surface: 'openai-moderations',
  path: 'moderations',
  title: 'Moderations',
  validate: checkModeration,
  worstCase,
  media: JSON_BODY,
};
