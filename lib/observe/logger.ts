import { Console } from 'node:console';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { getXRayTraceIdFromEnv } from '@aws-lambda-powertools/commons/utils/env';

export type GatewayLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * Structured JSON logs. Lines about a request carry its `requestId`; the gateway never logs keys,
 * secrets or prompt text.
 */
export function createLogger(options: { level?: string; serviceName?: string } = {}): Logger {
  return new FlatLineLogger({
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'aigw',
    logLevel: (options.level ?? process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'INFO') as 'INFO',
  });
}

/** A logger that drops everything: for tests and benchmarks that measure without I/O. */
export const silentLogger: GatewayLogger = { debug() {}, info() {}, warn() {}, error() {} };

const INFO = 12;
/** Powertools' own keys of a line; a field named so is merged by Powertools, not written twice. */
const BASE_KEYS = new Set(['level', 'message', 'timestamp', 'service', 'cold_start', 'function_arn', 'function_memory_size', 'function_name', 'function_request_id', 'sampling_rate', 'xray_trace_id', 'tenant_id']);

/**
 * Powertools' Logger, with the line every request leaves (`info('request', {...})`, one per call)
 * written as Powertools writes it (the same keys in the same order, empty ones left out, through a
 * Console on stdout) at a fraction of the cost: Powertools merges the attributes recursively, reads
 * the environment several times and stringifies with a replacer function on every line, which cost
 * the local server about a third of its CPU per request one call at a time (bench/RESULTS.md).
 * Only flat lines take this path: own fields of strings, numbers, booleans and arrays of them, under
 * names Powertools writes in place (see `keyPart`). Anything
 * else (an error, a nested object), and every line once the logger carries keys or a Lambda context
 * of its own, or runs in a mode that changes the line's shape (dev mode's indentation, a time zone
 * other than UTC, log sampling), is Powertools' own.
 */
class FlatLineLogger extends Logger {
  #flat: boolean;
  #head: string;
  #out: Console;

  constructor(options: ConstructorParameters<typeof Logger>[0]) {
    super(options);
    const env = process.env;
    const tz = env.TZ;
    this.#flat = !env.POWERTOOLS_DEV && !env.POWERTOOLS_LOGGER_SAMPLE_RATE && !env.POWERTOOLS_LOGGER_LOG_EVENT && (!tz || tz.includes('UTC'));
    this.#head = `","service":${JSON.stringify(options?.serviceName ?? 'service_undefined')},"sampling_rate":0`;
    // As Powertools writes outside dev mode: its Console swallows a closed stdout's errors.
    this.#out = new Console({ stdout: process.stdout, stderr: process.stderr });
  }

  public override info(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    const line = this.#flat && this.level <= INFO && typeof input === 'string' && extraInput.length === 1 ? flatLine(input, extraInput[0], this.#head) : undefined;
    if (line === undefined) super.info(input, ...extraInput);
    else this.#out.info(line);
  }

  public override addContext(...args: Parameters<Logger['addContext']>): void {
    this.#flat = false;
    super.addContext(...args);
  }
  public override appendKeys(...args: Parameters<Logger['appendKeys']>): void {
    this.#flat = false;
    super.appendKeys(...args);
  }
  public override appendPersistentKeys(...args: Parameters<Logger['appendPersistentKeys']>): void {
    this.#flat = false;
    super.appendPersistentKeys(...args);
  }
  public override addPersistentLogAttributes(...args: Parameters<Logger['addPersistentLogAttributes']>): void {
    this.#flat = false;
    super.addPersistentLogAttributes(...args);
  }
  public override setPersistentLogAttributes(...args: Parameters<Logger['setPersistentLogAttributes']>): void {
    this.#flat = false;
    super.setPersistentLogAttributes(...args);
  }
  public override setCorrelationId(...args: Parameters<Logger['setCorrelationId']>): void {
    this.#flat = false;
    super.setCorrelationId(...args);
  }
}

/** The JSON line of a flat INFO entry, or undefined when the fields are not flat (Powertools writes those). */
function flatLine(message: string, fields: unknown, head: string): string | undefined {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || fields instanceof Error) return undefined;
  // `for…in` would list inherited fields, which Powertools' merge leaves out.
  if (Object.getPrototypeOf(fields) !== Object.prototype) return undefined;
  let line = `{"level":"INFO","message":${JSON.stringify(message)},"timestamp":"${isoTimestamp(Date.now())}${head}`;
  const trace = getXRayTraceIdFromEnv();
  if (trace) line += `,"xray_trace_id":${JSON.stringify(trace)}`;
  for (const key in fields) {
    const value = (fields as Record<string, unknown>)[key];
    // Powertools leaves out a top-level field that is undefined, null or ''.
    if (value === undefined || value === null || value === '') continue;
    const part = keyPart(key);
    if (part === undefined || !isFlat(value)) return undefined;
    line += part + valueText(value);
  }
  return line + '}';
}

// An access line costs ~20 µs on this machine when each of its twenty fields' names is stringified
// and its time formatted afresh (bench/RESULTS.md, 27 Nov): the names are the same on every line,
// and the time changes only in its milliseconds within a second.
const keyParts = new Map<string, string>();

/** Names Powertools' merge skips, against prototype pollution (commons' deepMerge). */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor']);

/** `"4294967294"` and below: an object lists such a name first, so Powertools' line has it before its own keys. */
const isArrayIndex = (key: string): boolean => /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4_294_967_295;

/**
 * `,"name":` for a field's name, made once per name (a bounded few: the names are the code's), or
 * undefined for a name Powertools writes elsewhere or not at all: one of its own keys (it merges
 * them), one its merge skips, an array index (written first).
 */
function keyPart(key: string): string | undefined {
  let part = keyParts.get(key);
  if (part === undefined) {
    part = BASE_KEYS.has(key) || UNSAFE_KEYS.has(key) || isArrayIndex(key) ? '' : `,${JSON.stringify(key)}:`;
    if (keyParts.size < 1_000) keyParts.set(key, part);
  }
  return part || undefined;
}

/** A flat value as JSON.stringify writes it: a finite number's text is its `String` (the same algorithm), NaN and the infinities `null`. */
function valueText(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

let second = Number.NaN;
let secondText = '';

/**
 * `new Date(ms).toISOString()`, with the text up to the second's dot made once per second.
 *
 * @example
 * isoTimestamp(Date.UTC(2026, 10, 27, 16, 0, 0, 7)) // '2026-11-27T16:00:00.007Z'
 */
export function isoTimestamp(ms: number): string {
  // Date.now() always passes the test; a fraction or a time past TimeClip's ±8.64e15 is Date's to truncate or refuse.
  if (!Number.isInteger(ms) || ms > 8.64e15 || ms < -8.64e15) return new Date(ms).toISOString();
  const whole = Math.floor(ms / 1000);
  if (whole !== second) {
    secondText = new Date(whole * 1000).toISOString().slice(0, -4);
    second = whole;
  }
  const fraction = ms - whole * 1000;
  return `${secondText}${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}Z`;
}

function isFlat(value: unknown): boolean {
  const type = typeof value;
  if (type === 'string' || type === 'boolean') return true;
  // NaN and the infinities print as null either way; a bigint is Powertools' (a string there).
  if (type === 'number') return true;
  return Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean');
}
