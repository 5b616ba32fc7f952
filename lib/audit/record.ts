import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { UsageRecord } from '../usage/record';

/**
 * One body as the audit log keeps it: its content type and whole size always; its text when it is
 * text (JSON, SSE, plain text, forms), cut to the configured size (`truncated`); binary bodies
 * (uploads, audio) only by size and type.
 */
export interface AuditBody {
  contentType?: string;
  /** The body's whole size in bytes, however much of it is kept. */
  bytes: number;
  text?: string;
  /** The text stops before the body does (`audit.maxBytes`). */
  truncated?: true;
}

/** What the audit log keeps of one request: the usage record's facts and the two bodies. */
export interface AuditRecord {
  version: 1;
  requestId: string;
  /** When the request arrived (ISO 8601, UTC). */
  time: string;
  keyId: string;
  teamId?: string;
  /** The end user the call named (`lib/access/end-user.ts`), as in its usage record. */
  endUser?: string;
  /** The API the client spoke, e.g. `openai-chat`. */
  surface: string;
  /** The model the client asked for. */
  model: string;
  stream: boolean;
  /** Where the call was served (or last tried), and what picked its account (`balancedBy`, as in the usage record); absent when it never reached an upstream. */
  target?: { provider: string; account?: string; model?: string; balancedBy?: UsageRecord['balancedBy'] };
  status: number;
  outcome: UsageRecord['outcome'];
  errorCode?: string;
  usage: Pick<UsageRecord, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'reasoningTokens' | 'estimated' | 'billedUnits' | 'costMicros'>;
  latencyMs: number;
  ttftMs?: number;
  attempts: number;
  /** The guardrails' hits (`lib/guardrails/`), when any rule matched: why a call in `flagged` mode may be here. */
  guardrails?: UsageRecord['guardrails'];
  /** What the model's request parameter policy changed in the body (`lib/params/`): then `request` is not quite what went upstream. */
  params?: UsageRecord['params'];
  /** The response cache's part (`hit`: answered from the cache, no upstream; `miss`; `bypass`), for a model with `cache`. */
  cache?: UsageRecord['cache'];
  /**
   * The body the client sent, but for what a guardrail redacted (or, on a blocked call, would have):
   * what went upstream, unless the model's parameter policy changed it (`params` says what).
   */
  request: AuditBody;
  /** The answer the client got: the whole body, or a stream's relayed bytes in order. */
  response: AuditBody;
}

/**
 * The audit record of a request, from its usage record and its two captured bodies. Pure.
 *
 * @example
 * auditRecord(usage, { bytes: 42, contentType: 'application/json', text: '{"model":…}' }, { bytes: 0 })
 * // { version: 1, requestId: usage.requestId, time: '2026-11-26T22:00:00.000Z', …, request: {…}, response: { bytes: 0 } }
 */
export function auditRecord(usage: UsageRecord, request: AuditBody, response: AuditBody): AuditRecord {
  const target = usage.provider ? { provider: usage.provider, ...(usage.account ? { account: usage.account } : {}), ...(usage.upstreamModel ? { model: usage.upstreamModel } : {}), ...(usage.balancedBy ? { balancedBy: usage.balancedBy } : {}) } : undefined;
  return {
    version: 1,
    requestId: usage.requestId,
    time: usage.at.toISOString(),
    keyId: usage.keyId,
    ...(usage.teamId ? { teamId: usage.teamId } : {}),
    ...(usage.endUser ? { endUser: usage.endUser } : {}),
    surface: usage.surface,
    model: usage.model,
    stream: usage.stream,
    ...(target ? { target } : {}),
    status: usage.status,
    outcome: usage.outcome,
    ...(usage.errorCode ? { errorCode: usage.errorCode } : {}),
    usage: {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      reasoningTokens: usage.reasoningTokens,
      ...(usage.estimated ? { estimated: true as const } : {}),
      ...(usage.billedUnits !== undefined ? { billedUnits: usage.billedUnits } : {}),
      ...(usage.costMicros !== undefined ? { costMicros: usage.costMicros } : {}),
    },
    latencyMs: usage.latencyMs,
    ...(usage.ttftMs !== undefined ? { ttftMs: usage.ttftMs } : {}),
    attempts: usage.attempts,
    ...(usage.guardrails ? { guardrails: usage.guardrails } : {}),
    ...(usage.params ? { params: usage.params } : {}),
    ...(usage.cache ? { cache: usage.cache } : {}),
    request,
    response,
  };
}

/** Content types whose bodies are kept as text; anything else (uploads, audio, images) only by size. */
export function isTextType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json' || type.endsWith('+json') || type === 'application/x-www-form-urlencoded' || type === 'application/x-ndjson';
}

const lenientUtf8 = new TextDecoder('utf-8');

/**
 * A body for the record: its text (as UTF-8, any byte that is not becoming U+FFFD) when its type
 * is text (or `asText` says the gateway read it as text whatever its label), at most `maxBytes` of
 * it (cut at a character boundary, `truncated`); `total` is its whole size when only a prefix was
 * kept (a stream's).
 *
 * @example
 * auditBody(Buffer.from('héllo'), 'text/plain', 2) // { contentType: 'text/plain', bytes: 6, text: 'h', truncated: true }
 */
export function auditBody(kept: Uint8Array, contentType: string | undefined, maxBytes: number, total = kept.byteLength, asText = isTextType(contentType)): AuditBody {
  const body: AuditBody = { ...(contentType ? { contentType } : {}), bytes: total };
  if (!asText) return body;
  const cut = total > maxBytes || kept.byteLength > maxBytes;
  const prefix = cut ? utf8Prefix(kept, maxBytes) : kept;
  // Decoded as the gateway reads JSON bodies: a byte that is not UTF-8 becomes U+FFFD. Dropping the
  // text instead would let one such byte keep a prompt the gateway served out of its record.
  body.text = lenientUtf8.decode(prefix);
  if (cut) body.truncated = true;
  return body;
}

/** The longest prefix of at most `max` bytes that does not split a UTF-8 character. */
export function utf8Prefix(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.byteLength <= max) return bytes;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that would be cut.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** A request id as it may appear in an object key: letters, digits, `.`, `_` and `-` (Lambda's and the gateway's ids are already). */
const safeId = (requestId: string) => requestId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || '_';

/**
 * Where a record is stored: `audit/YYYY/MM/DD/HH/<requestId>.json.gz`, by the request's arrival in
 * UTC, so a day or an hour is one prefix to list, and S3's lifecycle rules and Athena's partition
 * projection can read the layout.
 *
 * @example
 * auditObjectKey(new Date('2026-11-26T22:05:00Z'), 'req-1') // 'audit/2026/11/26/22/req-1.json.gz'
 */
export function auditObjectKey(at: Date, requestId: string): string {
  const [date, time] = at.toISOString().split('T') as [string, string];
  return `audit/${date.replaceAll('-', '/')}/${time.slice(0, 2)}/${safeId(requestId)}.json.gz`;
}

const gzipAsync = promisify(gzip);

/** The record as stored: JSON, gzipped (on libuv's thread pool, so the event loop does not pay for it). */
export function encodeAuditRecord(record: AuditRecord): Promise<Buffer> {
  return gzipAsync(JSON.stringify(record));
}
