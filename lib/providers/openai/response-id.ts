// The response's own id leads its object in what OpenAI and Azure send (`{"id":"resp_…","object":"response",…}`),
// so it is read without parsing the rest: `response.created` echoes the request's instructions and
// tools (Codex's are tens of KB). An event written in another key order is parsed as a whole.
const CREATED_ID = /"response"\s*:\s*\{\s*"id"\s*:\s*"([^"\\]+)"/;

/**
 * The response id in a `response.created` event's data: read where it leads the response object,
 * else from the parsed event.
 *
 * @example
 * createdResponseId('{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response"}}') // 'resp_1'
 */
export function createdResponseId(data: string): string | undefined {
  const fast = CREATED_ID.exec(data)?.[1];
  if (fast !== undefined) return fast;
  try {
    const id = (JSON.parse(data) as { response?: { id?: unknown } } | null)?.response?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The id of a whole Responses answer, parsed.
 *
 * @example
 * responseIdOf({ id: 'resp_1', object: 'response' }) // 'resp_1'
 */
export function responseIdOf(json: unknown): string | undefined {
  const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** An event's `type` from its data, where the `event:` line is missing (Azure sends it; some proxies drop it). */
export function eventTypeOf(data: string): string | undefined {
  return /^\s*\{\s*"type"\s*:\s*"([^"\\]+)"/.exec(data)?.[1];
}
