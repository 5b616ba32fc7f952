import { geminiPath } from '../surfaces/gemini/route';
import { ANTHROPIC_MESSAGES, GEMINI, OPENAI_CHAT, OPENAI_RESPONSES, type SurfaceBinding } from './bindings';
import { bindingByCaller, type CallerMarks } from './caller-binding';
import { storedObjectOperations } from './stored-responses';

/**
 * The API of each exact path the gateway routes: the one table of them. `createGateway`
 * (`lib/gateway.ts`) builds its routes from these keys (`exactRoutes`), so a path cannot be
 * routed without its API being known here, which the doors' last resort needs without a gateway.
 * `null` for a route every dialect shares (the models list, health), whose answers follow the
 * caller's marks.
 */
const EXACT_ROUTE_BINDINGS = {
  '/v1/chat/completions': OPENAI_CHAT,
  '/v1/completions': OPENAI_CHAT,
  '/v1/responses': OPENAI_RESPONSES,
  '/v1/conversations': OPENAI_RESPONSES,
  '/v1/embeddings': OPENAI_CHAT,
  '/v1/images/generations': OPENAI_CHAT,
  '/v1/images/edits': OPENAI_CHAT,
  '/v1/audio/speech': OPENAI_CHAT,
  '/v1/audio/transcriptions': OPENAI_CHAT,
  '/v1/audio/translations': OPENAI_CHAT,
  '/v1/moderations': OPENAI_CHAT,
  '/v1/rerank': OPENAI_CHAT,
  // Cohere's v2 path too: its clients and LiteLLM's `/v2/rerank` callers name it (a bare `/rerank` finds `/v1/rerank`).
  '/v2/rerank': OPENAI_CHAT,
  '/v1/messages': ANTHROPIC_MESSAGES,
  '/v1/messages/count_tokens': ANTHROPIC_MESSAGES,
  '/v1/models': null,
  '/v1beta/models': GEMINI,
  '/': null,
  '/health': null,
} as const satisfies Record<string, SurfaceBinding | null>;

/** A path of the gateway's table of exact routes. */
export type ExactRoutePath = keyof typeof EXACT_ROUTE_BINDINGS;

const EXACT_ROUTES: ReadonlyMap<string, SurfaceBinding | undefined> = new Map(Object.entries(EXACT_ROUTE_BINDINGS).map(([path, binding]) => [path, binding ?? undefined]));

/**
 * The gateway's exact routes, each path's methods with its API from the one table: the parameter's
 * type makes a path missing from it, or one it lacks, a compile error. Built once, at start.
 *
 * @example
 * exactRoutes({ '/v1/chat/completions': { POST: chat }, ... })['/v1/chat/completions'] // { binding: OPENAI_CHAT, methods: { POST: chat } }
 */
export function exactRoutes<M>(methods: Record<ExactRoutePath, M>): Record<string, { binding?: SurfaceBinding; methods: M }> {
  const routes: Record<string, { binding?: SurfaceBinding; methods: M }> = {};
  for (const [path, binding] of EXACT_ROUTES) routes[path] = binding ? { binding, methods: methods[path as ExactRoutePath] } : { methods: methods[path as ExactRoutePath] };
  return routes;
}

/**
 * A request's path as the routes are looked up by: one trailing slash dropped (`createGateway`'s
 * `findRoute` and `routeBinding` alike).
 *
 * @example
 * routePath('/v1/chat/completions/') // '/v1/chat/completions'
 * routePath('/') // '/'
 */
export const routePath = (path: string): string => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * The API of the route the gateway finds for a path, found as `createGateway`'s `findRoute` finds
 * it (one trailing slash dropped; an exact path, also without its `/v1`; Gemini's model paths;
 * the stored Responses objects'); undefined for a route every dialect shares, a model retrieved
 * by name, and a path no route serves.
 *
 * @example
 * routeBinding('/v1/chat/completions/') // OPENAI_CHAT
 * routeBinding('/v1/models/gemini-2.5-flash:generateContent') // GEMINI
 * routeBinding('/v1/models') // undefined: OpenAI's, Anthropic's and Gemini's clients all list models there
 */
export function routeBinding(path: string): SurfaceBinding | undefined {
  const trimmed = routePath(path);
  if (EXACT_ROUTES.has(trimmed)) return EXACT_ROUTES.get(trimmed);
  // Clients configured with a base URL without /v1 send `/chat/completions`.
  if (EXACT_ROUTES.has(`/v1${trimmed}`)) return EXACT_ROUTES.get(`/v1${trimmed}`);
  if (geminiPath(trimmed)) return GEMINI;
  return storedObjectOperations(trimmed) ? OPENAI_RESPONSES : undefined;
}

/**
 * The API the gateway answers a request in: its route's, else the caller's own marks
 * (`bindingByCaller`). What the doors answer in when the gateway itself failed, so that their
 * last resort speaks as the gateway would have.
 *
 * @example
 * answeringBinding({ path: '/v1/chat/completions', headers: { 'anthropic-version': '2023-06-01' }, query }) // OPENAI_CHAT: the route decides
 * answeringBinding({ path: '/v1/models', headers: { 'anthropic-version': '2023-06-01' }, query }) // ANTHROPIC_MESSAGES
 */
export function answeringBinding(caller: CallerMarks): SurfaceBinding {
  return routeBinding(caller.path) ?? bindingByCaller(caller);
}
