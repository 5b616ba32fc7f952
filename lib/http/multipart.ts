/**
 * Just enough of multipart/form-data (RFC 7578) for the gateway to pass uploads through: find
 * the parts and their names, read the small text fields (`model`, `stream`…), and rewrite one
 * field's value while every other byte, file parts included, goes on as the client sent it.
 * No multipart parser is installed, and the gateway needs no streaming parser: bodies are read
 * whole up to the body limit anyway. Strict on purpose: what it cannot frame exactly is a 400,
 * so a mis-framed upload is never forwarded half-rewritten.
 */
import { GatewayError } from './errors';

/** One part, by byte offsets into the body. */
export interface MultipartPart {
  name: string;
  /** Present on file parts (even when empty). */
  filename?: string;
  /** Where the part's `--boundary` line starts. */
  start: number;
  /** Where its value starts (after the blank line) and ends (before the CRLF of the next delimiter). */
  valueStart: number;
  valueEnd: number;
}

/** A body that does not frame as multipart/form-data: a 400 naming what is wrong. */
export class MultipartError extends GatewayError {
  constructor(detail: string) {
    super('invalid_request', `The multipart/form-data body is malformed: ${detail}.`, { code: 'invalid_multipart' });
  }
}

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** The boundary a `multipart/form-data` content type names; undefined for any other content type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    // RFC 2046: 1 to 70 characters, not ending in a space.
    return value.length >= 1 && value.length <= 70 && !value.endsWith(' ') ? value : undefined;
  }
  return undefined;
}

/** The parts of a multipart body, in order; a MultipartError when it does not frame exactly. */
export function multipartParts(raw: Uint8Array, boundary: string): MultipartPart[] {
  const body = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter opens the body or ends a preamble line.
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(nextDelimiter);
  if (at < 0) throw new MultipartError(`no part starts with the boundary given in content-type`);
  if (at > 0) at += CRLF.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) return parts; // `--`: the close delimiter; an epilogue may follow.
    const lineEnd = body.indexOf(CRLF, afterDelimiter);
    if (lineEnd < 0) throw new MultipartError('the body ends without the closing boundary');
    // Transport padding (spaces, tabs) may follow a delimiter; anything else means it was not one.
    if (!/^[ \t]*$/.test(body.toString('latin1', afterDelimiter, lineEnd))) throw new MultipartError('a boundary line has text after the boundary');
    const headersEnd = body.indexOf(HEADERS_END, lineEnd);
    const headersText = headersEnd === lineEnd ? '' : headersEnd < 0 ? undefined : body.toString('utf8', lineEnd + CRLF.length, headersEnd);
    if (headersText === undefined) throw new MultipartError('a part\'s headers do not end with a blank line');
    const valueStart = headersEnd + HEADERS_END.length;
    const valueEnd = body.indexOf(nextDelimiter, valueStart);
    if (valueEnd < 0) throw new MultipartError('the body ends without the closing boundary');
    parts.push({ ...dispositionOf(headersText), start: at, valueStart, valueEnd });
    at = valueEnd + CRLF.length;
  }
}

/** The name (and filename) of a part from its `Content-Disposition: form-data; name="…"` header. */
function dispositionOf(headersText: string): { name: string; filename?: string } {
  const lines = headersText.split('\r\n').filter((header) => /^content-disposition\s*:/i.test(header));
  const line = lines[0];
  if (!line) throw new MultipartError('a part has no Content-Disposition header');
  if (lines.length > 1) throw new MultipartError('a part has more than one Content-Disposition header');
  const params = dispositionParams(line.slice(line.indexOf(':') + 1));
  const name = params.get('name');
  if (name === undefined) throw new MultipartError('a part\'s Content-Disposition names no field');
  const filename = params.get('filename');
  return filename === undefined ? { name } : { name, filename };
}

/** `form-data; name="a"; filename="b c.png"` → {name: a, filename: b c.png}; quoted values may escape `"` and `\`; a parameter given twice is refused. */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of value.matchAll(pattern)) {
    const key = match[1]!.toLowerCase();
    if (params.has(key)) throw new MultipartError('a part\'s Content-Disposition gives a parameter twice');
    params.set(key, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!.trim());
  }
  return params;
}

/** The text fields (parts without a filename), by name; a name given twice keeps its first value. */
export function multipartFields(raw: Uint8Array, parts: readonly MultipartPart[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of parts) {
    if (part.filename !== undefined || part.name in fields) continue;
    fields[part.name] = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8', part.valueStart, part.valueEnd);
  }
  return fields;
}

/**
 * The body with the first text field `name` set to `value` (or removed, `undefined`), every other
 * byte as it was. A field that is not there is left absent.
 */
export function withMultipartField(raw: Uint8Array, parts: readonly MultipartPart[], name: string, value: string | undefined): Uint8Array {
  const index = parts.findIndex((p) => p.name === name && p.filename === undefined);
  if (index < 0) return raw;
  const part = parts[index]!;
  const body = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (value !== undefined) return Buffer.concat([body.subarray(0, part.valueStart), Buffer.from(value), body.subarray(part.valueEnd)]);
  // The part's delimiter line up to the next one's: the CRLF before its own delimiter stays and serves the next.
  return Buffer.concat([body.subarray(0, part.start), body.subarray(part.valueEnd + CRLF.length)]);
}
