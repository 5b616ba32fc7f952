import { json } from '../../http/body';
import { GatewayError } from '../../http/errors';
import type { GatewayRequest, GatewayResponse } from '../../http/types';
import { GEMINI } from '../../pipeline/bindings';
import type { RequestContext } from '../../pipeline/context';
import type { ProxyDeps } from '../../pipeline/deps';
import { modelCall } from '../../pipeline/model-call';
import { mayUse } from '../models';
import { countGeminiTokens } from './count-tokens';
import { geminiModel } from './models';
import { geminiPath } from './route';

type Handler = (req: GatewayRequest, ctx: RequestContext, finish: () => void) => Promise<GatewayResponse>;

/** A Gemini API route: its handlers by method, answering in Gemini's error shape. */
export interface GeminiRoute {
  binding: typeof GEMINI;
  methods: Record<string, Handler>;
}

/**
 * The key of a Gemini client that sends it as `?key=` (Google's other way) moved into the header
 * the authenticator reads; a key in a header wins. The query is never logged or sent upstream.
 */
export function withQueryKey(req: GatewayRequest): GatewayRequest {
  if (req.headers['x-goog-api-key'] || req.headers['authorization'] || req.headers['x-api-key']) return req;
  const key = req.query.get('key');
  return key ? { ...req, headers: { ...req.headers, 'x-goog-api-key': key } } : req;
}

/**
 * The route of a Gemini API path (`/v1beta/models/{model}:{method}`, also under `/v1/`), or
 * undefined when the path is not one.
 */
export function geminiRoute(path: string, deps: ProxyDeps): GeminiRoute | undefined {
  const parsed = geminiPath(path);
  if (!parsed) return undefined;
  const { model, action } = parsed;
  const route = (methods: Record<string, Handler>): GeminiRoute => ({ binding: GEMINI, methods });
  switch (action) {
    case 'generateContent':
      return route({ POST: (req, ctx, finish) => modelCall(GEMINI, withQueryKey(req), ctx, deps, finish, { model, stream: false }) });
    case 'streamGenerateContent':
      return route({ POST: (req, ctx, finish) => streamCall(req, ctx, deps, finish, model) });
    case 'countTokens':
      return route({ POST: (req, ctx) => countGeminiTokens(withQueryKey(req), ctx, deps, model) });
    case undefined:
      return route({ GET: (req) => retrieveGeminiModel(req, deps, model) });
    default:
      return route({
        POST: async () => {
          throw new GatewayError('not_found', `The gateway does not serve the Gemini method ${action}.`, { code: 'unknown_method' });
        },
      });
  }
}

/**
 * Streams go as SSE with `alt=sse` (what @google/genai and Gemini CLI ask for); without it (or
 * with `alt=json`, as Vertex's REST documentation and hand-written clients call it) as Gemini's
 * other stream, one JSON array written an element at a time. Any other `alt` is refused, as Google does.
 */
async function streamCall(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, finish: () => void, model: string): Promise<GatewayResponse> {
  const alt = req.query.get('alt');
  if (alt !== null && alt !== 'sse' && alt !== 'json') {
    throw new GatewayError('invalid_request', `Invalid value for alt: "${alt}" (streamGenerateContent streams as sse or json).`, { param: 'alt', code: 'invalid_value' });
  }
  return modelCall(GEMINI, withQueryKey(req), ctx, deps, finish, { model, stream: true, jsonArray: alt !== 'sse' });
}

/**
 * `GET /v1beta/models`: the models (and aliases) the key may use, in Gemini's list shape, on one
 * page (no nextPageToken). A refusal leaves no usage record, as with the other listings.
 */
export async function listGeminiModels(req: GatewayRequest, deps: ProxyDeps): Promise<GatewayResponse> {
  const caller = await deps.auth.authenticate(withQueryKey(req));
  const names = deps.catalog.names().filter((name) => mayUse(caller, name, deps));
  return json(200, { models: names.map((name) => geminiModel(name, deps.catalog.find(name)!)) });
}

/** `GET /v1beta/models/{model}`: one of them; the same 404 for a model that does not exist and one the key may not use. */
export async function retrieveGeminiModel(req: GatewayRequest, deps: ProxyDeps, name: string): Promise<GatewayResponse> {
  const caller = await deps.auth.authenticate(withQueryKey(req));
  const entry = deps.catalog.find(name);
  if (!entry || !mayUse(caller, name, deps)) {
    throw new GatewayError('not_found', `models/${name} is not found, or this API key may not use it.`, { code: 'model_not_found', param: 'model' });
  }
  return json(200, geminiModel(name, entry));
}
