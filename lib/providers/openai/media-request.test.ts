import { multipartFields, multipartParts } from '../../http/multipart';
import { azureOperationTarget } from '../azure-openai';
import { openAIMediaRequest } from './media-request';
import { openAIOperationTarget, type OpenAIChatCall } from './request';

const B = 'form-boundary-1';
const MULTIPART = `multipart/form-data; boundary=${B}`;
const audio = Buffer.from([0x49, 0x44, 0x33, 0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d]);
const upload = Buffer.concat([
  Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`),
  audio,
  Buffer.from(`\r\n--${B}\r\nContent-Disposition: form-data; name="model"\r\n\r\ntranscribe\r\n--${B}\r\nContent-Disposition: form-data; name="response_format"\r\n\r\ntext\r\n--${B}--\r\n`),
]);
const json = Buffer.from('{"model":"image","prompt":"a cat","n":1}');

const openai = { id: 'p', type: 'openai', baseUrl: 'http://x/v1', accounts: [] };
const azure = (apiVersion?: string) => ({ id: 'az', type: 'azure-openai', baseUrl: 'https://r.openai.azure.com', accounts: [], ...(apiVersion ? { apiVersion } : {}) });
const call = (over: Partial<OpenAIChatCall>, raw: Buffer, body: Record<string, unknown>): OpenAIChatCall =>
  ({ provider: openai, account: { id: 'a', weight: 1 }, apiKey: 'k', model: 'image', body, raw, stream: false, timeouts: { headersMs: 1, idleMs: 1 }, ...over }) as OpenAIChatCall;
const uploadCall = (over: Partial<OpenAIChatCall>) => call({ model: 'transcribe', ...over }, upload, { model: 'transcribe', response_format: 'text' });
const fieldsOf = (body: unknown) => multipartFields(body as Uint8Array, multipartParts(body as Uint8Array, B));

describe('openAIMediaRequest', () => {
  it('sends a JSON body as the client wrote it when the upstream knows the model by its name, never with stream_options', () => {
    const c = call({}, json, JSON.parse(json.toString()) as Record<string, unknown>);
    const req = openAIMediaRequest(c, openAIOperationTarget(c, 'images/generations'), 'application/json');
    expect(req).toMatchObject({ url: 'http://x/v1/images/generations', body: json, headers: { 'content-type': 'application/json', accept: '*/*', authorization: 'Bearer k' } });
  });

  it('swaps the model of a streamed JSON body without asking for stream usage', () => {
    const body = { model: 'tts', input: 'Hi', stream_format: 'sse' };
    const c = call({ model: 'gpt-4o-mini-tts', stream: true }, Buffer.from(JSON.stringify(body)), body);
    const req = openAIMediaRequest(c, openAIOperationTarget(c, 'audio/speech'), 'application/json');
    expect(JSON.parse(req.body as string)).toEqual({ model: 'gpt-4o-mini-tts', input: 'Hi', stream_format: 'sse' });
    expect(req.headers.accept).toBe('text/event-stream');
  });

  it.each<{ name: string; over: Partial<OpenAIChatCall>; url: string; fields: Record<string, string>; auth: Record<string, string> }>([
    { name: 'the same model: the upload as it came', over: {}, url: 'http://x/v1/audio/transcriptions', fields: { model: 'transcribe', response_format: 'text' }, auth: { authorization: 'Bearer k' } },
    { name: 'another upstream model: swapped in its part', over: { model: 'gpt-4o-transcribe' }, url: 'http://x/v1/audio/transcriptions', fields: { model: 'gpt-4o-transcribe', response_format: 'text' }, auth: { authorization: 'Bearer k' } },
    {
      name: "Azure's deployments path: the model part removed, the deployment in the URL",
      over: { provider: azure('2025-03-01-preview') as OpenAIChatCall['provider'], model: 'my whisper' },
      url: 'https://r.openai.azure.com/openai/deployments/my%20whisper/audio/transcriptions?api-version=2025-03-01-preview',
      fields: { response_format: 'text' },
      auth: { 'api-key': 'k' },
    },
    { name: "Azure's v1 path: the deployment as the model", over: { provider: azure() as OpenAIChatCall['provider'], model: 'dep' }, url: 'https://r.openai.azure.com/openai/v1/audio/transcriptions', fields: { model: 'dep', response_format: 'text' }, auth: { 'api-key': 'k' } },
  ])('passes an upload on, the file byte for byte: $name', ({ over, url, fields, auth }) => {
    const c = uploadCall(over);
    const target = c.provider.type === 'azure-openai' ? azureOperationTarget(c, 'audio/transcriptions') : openAIOperationTarget(c, 'audio/transcriptions');
    const req = openAIMediaRequest(c, target, MULTIPART);
    expect(req.url).toBe(url);
    expect(req.headers).toMatchObject({ 'content-type': MULTIPART, ...auth });
    expect(fieldsOf(req.body)).toEqual(fields);
    const out = req.body as Uint8Array;
    const file = multipartParts(out, B).find((p) => p.name === 'file')!;
    expect(Buffer.from(out.subarray(file.valueStart, file.valueEnd))).toEqual(audio);
  });

  it("addresses an image generation on Azure's deployments path", () => {
    const c = call({ provider: azure('2025-04-01-preview') as OpenAIChatCall['provider'], model: 'gpt-image-1' }, json, JSON.parse(json.toString()) as Record<string, unknown>);
    const req = openAIMediaRequest(c, azureOperationTarget(c, 'images/generations'), 'application/json');
    expect(req.url).toBe('https://r.openai.azure.com/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview');
    expect(JSON.parse(req.body as string)).toEqual({ prompt: 'a cat', n: 1 });
  });
});
