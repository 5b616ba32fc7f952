import { ANTHROPIC_MESSAGES, GEMINI, OPENAI_CHAT, type SurfaceBinding } from './bindings';
import { bindingByCaller, type CallerMarks } from './caller-binding';

/** The gateway's `bindingOf` for a request no route places, as it was before `bindingByCaller` was taken out of it (f049c7a). */
const before = (req: CallerMarks): SurfaceBinding =>
  req.headers['anthropic-version'] ? ANTHROPIC_MESSAGES : req.headers['x-goog-api-key'] !== undefined || req.query.has('key') || req.path.startsWith('/v1beta/') ? GEMINI : OPENAI_CHAT;

const PATHS = ['/', '/health', '/v1/models', '/v1/models/gpt-4o', '/models', '/v1/messages', '/v1/chat/completions', '/v1beta/models', '/v1beta/models/gemini-2.5-flash:generateContent', '/v1/models/gemini-2.5-flash:generateContent', '/v1beta', '/nope'];
const HEADERS: Record<string, string | undefined>[] = [{}, { authorization: 'Bearer k' }, { 'anthropic-version': '2023-06-01' }, { 'anthropic-version': '' }, { 'x-goog-api-key': 'k' }, { 'x-goog-api-key': '' }, { 'anthropic-version': '2023-06-01', 'x-goog-api-key': 'k' }, { 'x-api-key': 'k' }];
const QUERIES = ['', 'key=k', 'key=', 'alt=sse', 'alt=sse&key=k', 'keys=1'];

describe('bindingByCaller', () => {
  it.each<[string, CallerMarks, SurfaceBinding]>([
    ['an Anthropic client by its header, on any path', { path: '/v1beta/models', headers: { 'anthropic-version': '2023-06-01', 'x-goog-api-key': 'k' }, query: new URLSearchParams() }, ANTHROPIC_MESSAGES],
    ['a Gemini client by its key header', { path: '/v1/models', headers: { 'x-goog-api-key': 'k' }, query: new URLSearchParams() }, GEMINI],
    ['a Gemini client by its key in the query', { path: '/v1/models', headers: {}, query: new URLSearchParams('key=k') }, GEMINI],
    ['a Gemini client by its path', { path: '/v1beta/anything', headers: {}, query: new URLSearchParams() }, GEMINI],
    ['anyone else', { path: '/v1/models', headers: { authorization: 'Bearer k' }, query: new URLSearchParams() }, OPENAI_CHAT],
  ])('places %s', (_, caller, expected) => {
    // Act
    const binding = bindingByCaller(caller);

    // Assess
    expect(binding).toBe(expected);
  });

  it('places every combination of path, headers and query as the gateway did before it was shared with the doors', () => {
    // Prepare
    const callers = PATHS.flatMap((path) => HEADERS.flatMap((headers) => QUERIES.map((query): CallerMarks => ({ path, headers, query: new URLSearchParams(query) }))));

    // Act
    const differing = callers.filter((caller) => bindingByCaller(caller) !== before(caller));

    // Assess
    expect(callers).toHaveLength(PATHS.length * HEADERS.length * QUERIES.length);
    expect(differing).toEqual([]);
  });
});
