import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import type { AdminApi } from '../admin/api';
import type { Gateway } from '../gateway';
import { silentLogger } from '../observe/logger';
import { createLocalServer } from '../local/server';
import { CorsPolicy } from './cors';
import { doorInternalError } from './door-error';
import { startHarness, type Harness } from '../../test/integration/harness';

const MESSAGE = 'The gateway failed to handle this request.';
const OPENAI_500 = { error: { message: MESSAGE, type: 'server_error', param: null, code: null } };
const ANTHROPIC_500 = { type: 'error', error: { type: 'api_error', message: MESSAGE } };
const GEMINI_500 = { error: { code: 500, message: MESSAGE, status: 'INTERNAL' } };

describe('doorInternalError', () => {
  it.each<[string, string, Record<string, string>, string, object]>([
    ['an OpenAI client', '/v1/chat/completions', { authorization: 'Bearer k' }, '', OPENAI_500],
    ['a client that says nothing', '/v1/models', {}, '', OPENAI_500],
    ['an Anthropic client, by its header', '/v1/models', { 'anthropic-version': '2023-06-01' }, '', ANTHROPIC_500],
    ['an Anthropic client, by its path', '/v1/messages', { authorization: 'Bearer k' }, '', ANTHROPIC_500],
    ['an Anthropic client counting tokens', '/v1/messages/count_tokens', {}, '', ANTHROPIC_500],
    ['an Anthropic client whose base URL has no /v1', '/messages', {}, '', ANTHROPIC_500],
    ['a Gemini client, by its key header', '/v1/models', { 'x-goog-api-key': 'k' }, '', GEMINI_500],
    ['a Gemini client, by its key in the query', '/v1/models/gemini-2.5-flash:generateContent', {}, 'key=k', GEMINI_500],
    ['a Gemini client, by its path', '/v1beta/models/gemini-2.5-flash:streamGenerateContent', {}, 'alt=sse', GEMINI_500],
    ['a path merely starting like Anthropic’s', '/v1/messagesx', {}, '', OPENAI_500],
    ['a Gemini caller by its method’s path under /v1, with a bearer key', '/v1/models/gemini-2.5-flash:generateContent', { authorization: 'Bearer k' }, '', GEMINI_500],
    ['a Gemini caller counting tokens under /v1, with a bearer key', '/v1/models/gemini-2.5-flash:countTokens', { authorization: 'Bearer k' }, '', GEMINI_500],
    ['an OpenAI client retrieving a model whose name has a colon', '/v1/models/ft:gpt-4o-mini:acme', { authorization: 'Bearer k' }, '', OPENAI_500],
  ])('answers %s in its own shape', (_, path, headers, query, body) => {
    // Act
    const res = doorInternalError('req-1', { path, headers, query: new URLSearchParams(query) });

    // Assess
    expect(res.status).toBe(500);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'x-request-id': 'req-1' });
    expect(JSON.parse(String(res.body))).toEqual(body);
  });
});

/** Which API's error shape a body is in. */
function dialectOf(body: unknown): 'anthropic' | 'gemini' | 'openai' | 'unknown' {
  const b = body as { type?: unknown; error?: { code?: unknown; status?: unknown; type?: unknown } };
  if (b.type === 'error') return 'anthropic';
  if (typeof b.error?.code === 'number' && typeof b.error.status === 'string') return 'gemini';
  if (typeof b.error?.type === 'string') return 'openai';
  return 'unknown';
}

/**
 * Every route the gateway serves (the exact paths of `createGateway`'s table, with and without
 * `/v1` and a trailing slash, Gemini's model methods, the stored objects', a model by name) and
 * paths it serves none of.
 */
const SERVED_PATHS = [
  '/v1/chat/completions', '/chat/completions', '/v1/chat/completions/', '/v1/completions', '/v1/responses', '/responses', '/v1/conversations',
  '/v1/embeddings', '/embeddings', '/v1/images/generations', '/v1/images/edits', '/v1/audio/speech', '/v1/audio/transcriptions', '/v1/audio/translations',
  '/v1/moderations', '/v1/rerank', '/v2/rerank', '/rerank', '/v1/messages', '/messages', '/v1/messages/', '/v1/messages/count_tokens', '/messages/count_tokens',
  '/v1/models', '/models', '/v1/models/gpt-4o-mini', '/models/gpt-4o-mini', '/v1/models/ft:gpt-4o-mini:acme', '/v1beta/models', '/v1beta/models/gemini-2.5-flash',
  '/v1beta/models/gemini-2.5-flash:generateContent', '/v1beta/models/gemini-2.5-flash:streamGenerateContent', '/v1beta/models/gemini-2.5-flash:countTokens',
  '/v1beta/models/gemini-2.5-flash:embedContent', '/v1/models/gemini-2.5-flash:generateContent', '/v1/models/gemini-2.5-flash:generateContent/',
  '/v1beta/models/gemini-2.5-flash:streamGenerateContent/', '/v1/responses/resp_1', '/responses/resp_1', '/v1/responses/resp_1/input_items', '/v1/responses/resp_1/cancel',
  '/v1/conversations/conv_1', '/v1/conversations/conv_1/items', '/v1/conversations/conv_1/items/msg_1', '/', '/health',
];
const UNSERVED_PATHS = ['/v1/unknown', '/v1beta/unknown', '/v1/messagesx', '/v1/responses/resp_1/unknown', '/v1/files'];
/** The marks a caller may send whatever its path: none, each dialect's own, and a bearer key. */
const CALLER_MARKS: [string, Record<string, string>, string][] = [
  ['no marks', {}, ''],
  ['a bearer key', { authorization: 'Bearer k' }, ''],
  ['anthropic-version', { 'anthropic-version': '2023-06-01' }, ''],
  ["Gemini's key header", { 'x-goog-api-key': 'k' }, ''],
  ["Gemini's key in the query", {}, 'key=k'],
];

/**
 * The door's last resort answers in the dialect the gateway itself would have answered the
 * request in: its route's API where the route has one, else the caller's marks. The gateway's
 * answer to a method no route allows (PATCH) is read before any key or store: the route alone
 * picks its shape.
 */
describe('doorInternalError, against the gateway’s own routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const cases = [...SERVED_PATHS, ...UNSERVED_PATHS].flatMap((path) => CALLER_MARKS.map(([marks, headers, query]) => [path, marks, headers, query] as const));

  it.each(cases)('answers %s from a caller with %s in the dialect the gateway answers it in', async (path, _marks, headers, query) => {
    // Prepare
    const request = { method: 'PATCH', path, query: new URLSearchParams(query), headers, body: new Uint8Array(0), sourceIp: '127.0.0.1', requestId: 'req-1' };

    // Act
    const gatewaySays = await h.gw.gateway.handle(request);
    const doorSays = doorInternalError('req-1', request);

    // Assess
    expect(gatewaySays.status).toBe(UNSERVED_PATHS.includes(path) ? 404 : 405);
    expect(dialectOf(JSON.parse(String(doorSays.body)))).toBe(dialectOf(JSON.parse(String(gatewaySays.body))));
  });
});

/** The local door in front of a gateway that throws, which its contract says it never does: only the door's last resort answers. */
async function serveThrowing(cors?: CorsPolicy) {
  const gateway = { handle: async () => Promise.reject(new Error('a bug in the pipeline')) } as unknown as Gateway;
  const admin = { handle: async () => Promise.reject(new Error('a bug in the admin API')) } as unknown as AdminApi;
  const server = createLocalServer({ gateway, admin, logger: silentLogger, ...(cors ? { cors } : {}) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('the local door’s last resort, as the official clients see it', () => {
  let door: Awaited<ReturnType<typeof serveThrowing>>;
  beforeAll(async () => {
    door = await serveThrowing();
  });
  afterAll(() => door.close());

  it('raises OpenAI’s InternalServerError with the message in the OpenAI client', async () => {
    // Prepare
    const client = new OpenAI({ apiKey: 'k', baseURL: `${door.url}/v1`, maxRetries: 0 });

    // Act
    const error = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.InternalServerError>).error).toEqual(OPENAI_500.error);
    expect((error as Error).message).toContain(MESSAGE);
  });

  it('raises Anthropic’s InternalServerError with the message and type in the Anthropic client', async () => {
    // Prepare
    const client = new Anthropic({ apiKey: 'k', baseURL: door.url, maxRetries: 0 });

    // Act
    const error = await client.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.InternalServerError>).error).toEqual(ANTHROPIC_500);
    expect((error as Error).message).toContain(MESSAGE);
  });

  it('raises Gemini’s ApiError with status 500 and the message in @google/genai', async () => {
    // Prepare
    const client = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: door.url, fetch: (url, init) => fetch(url, init) } });

    // Act
    const error = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(500);
    expect(JSON.parse((error as ApiError).message)).toEqual(GEMINI_500);
  });
});

describe('the local door’s last resort with CORS on', () => {
  it('carries the CORS headers, so that a page can read it', async () => {
    // Prepare
    const door = await serveThrowing(CorsPolicy.from({ allowOrigins: ['https://chat.example.com'], allowHeaders: [], maxAgeSeconds: 60 }));

    try {
      // Act
      const res = await fetch(`${door.url}/v1/messages`, { method: 'POST', headers: { origin: 'https://chat.example.com', 'content-type': 'application/json' }, body: '{}' });

      // Assess
      expect(res.status).toBe(500);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://chat.example.com');
      expect(await res.json()).toEqual(ANTHROPIC_500);
    } finally {
      await door.close();
    }
  });
});
