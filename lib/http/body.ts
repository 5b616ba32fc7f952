import { GatewayError } from './errors';
import { jsonText } from './json-text';
import type { GatewayRequest } from './types';

/** Reads a request body, refusing with 413 as soon as it passes `limit` bytes. */
export async function readBody(req: GatewayRequest, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const { body } = req;
  if (body instanceof Uint8Array) {
    if (body.byteLength > limit) throw tooLarge(limit);
    return body;
  }
  const whole = arrivedWhole(body, declared);
  if (whole) {
    if (whole.byteLength > limit) throw tooLarge(limit);
    return whole;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * A node:http request whose body came with its headers has it buffered by the time the pipeline
 * asks (before node marks the message complete): when all `content-length` bytes are there,
 * one read takes them and skips an async iterator on every request.
 */
function arrivedWhole(body: AsyncIterable<Uint8Array>, declared: number): Buffer | undefined {
  const message = body as { readableLength?: unknown; read?: unknown };
  if (!(declared > 0) || message.readableLength !== declared || typeof message.read !== 'function') return undefined;
  return (message.read as () => Buffer | null).call(body) ?? undefined;
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('request_too_large', `Request body is larger than the gateway's limit of ${limit} bytes.`, { code: 'request_too_large' });
}

/** Parses a JSON object body; 400 naming the problem otherwise. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.byteLength === 0) throw new GatewayError('invalid_request', 'The request body is empty; expected a JSON object.', { code: 'invalid_json' });
  let value: unknown;
  try {
    value = JSON.parse(jsonText(bytes));
  } catch (err) {
    throw new GatewayError('invalid_request', `The request body is not valid JSON: ${(err as Error).message}`, { code: 'invalid_json' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.', { code: 'invalid_json' });
  }
  return value as Record<string, unknown>;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function json(status: number, value: unknown, headers: Record<string, string> = {}) {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) };
}
