/**
 * Gemini's JSON-array stream as its REST callers ask for it (`streamGenerateContent` without
 * `alt=sse`): no official client does (`@google/genai` asks for SSE), so the suites call it by
 * `fetch`, as Google documents.
 */

/** What one array call got: its status, its body parsed whole, its request id, content type and retry-after. */
export interface ArrayAnswer {
  status: number;
  body: unknown;
  requestId: string | null;
  contentType: string | null;
  retryAfter: string | null;
}

/**
 * `streamGenerateContent` without `alt=sse` on the gateway at `url` with `key`, `text` as the one
 * user turn, read whole.
 *
 * @example
 * const { status, body } = await streamGeminiArray(pool.gw.url, pool.key, 'gemini-2.5-flash');
 */
export async function streamGeminiArray(url: string, key: string, model: string, text = 'hello there'): Promise<ArrayAnswer> {
  const res = await fetch(`${url}/v1beta/models/${model}:streamGenerateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }] }),
  });
  return { status: res.status, body: JSON.parse(await res.text()) as unknown, requestId: res.headers.get('x-request-id'), contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after') };
}

/** The text of an array's answer elements, in order. */
export const arrayText = (body: unknown): string =>
  (body as { candidates?: { content?: { parts?: { text?: string }[] } }[] }[]).map((element) => (element.candidates?.[0]?.content?.parts ?? []).map((part) => part.text ?? '').join('')).join('');
