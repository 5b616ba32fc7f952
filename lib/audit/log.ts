import type { Caller } from '../access/caller';
import type { AuditConfig } from '../config/schema';
import type { GatewayLogger } from '../observe/logger';
import type { UsageRecord } from '../usage/record';
import { AuditCapture } from './capture';
import { auditObjectKey, auditRecord, encodeAuditRecord } from './record';

/**
 * Where audit records go: an S3 bucket (`S3AuditSink`) or files under the data dir
 * (`FileAuditSink`). `put` stores one gzipped record under its key, or rejects.
 */
export interface AuditSink {
  put(key: string, gzipped: Buffer): Promise<void>;
  /** Where records go, for the start-up banner. */
  readonly description: string;
}

/** Keeps records in memory: for tests of code that writes them. */
export class MemoryAuditSink implements AuditSink {
  readonly objects = new Map<string, Buffer>();
  readonly description = 'memory';
  async put(key: string, gzipped: Buffer): Promise<void> {
    this.objects.set(key, gzipped);
  }
}

/**
 * The opt-in audit log of bodies: which calls it covers (`audit.mode`, and in `flagged` mode the
 * key's or its team's flag), their captures, and the writes of their records, made after the
 * response has ended and off the client's path, as usage records are. A write that fails is
 * logged with the request id (never the body) and counted; it never fails the request.
 *
 * @example
 * const audit = createAuditLog(config.audit, new FileAuditSink('.data'), logger); // undefined when mode is "off"
 */
export class AuditLog {
  readonly #config: AuditConfig;
  readonly #sink: AuditSink;
  readonly #logger: GatewayLogger;
  readonly #pending = new Set<Promise<void>>();
  #failures = 0;

  constructor(config: AuditConfig, sink: AuditSink, logger: GatewayLogger) {
    this.#config = config;
    this.#sink = sink;
    this.#logger = logger;
  }

  /** Records that could not be written since start. */
  get failures(): number {
    return this.#failures;
  }

  /** Whether the caller's calls are audited: every caller's in `all` mode, flagged keys' and teams' in `flagged`. */
  covers(caller: Caller): boolean {
    if (this.#config.mode === 'all') return true;
    return this.#config.mode === 'flagged' && (caller.key.audit === true || caller.team?.audit === true);
  }

  /** In `flagged` mode a call a guardrail flagged is audited too, whoever made it (`lib/pipeline/guardrails.ts`). */
  get auditsFlaggedCalls(): boolean {
    return this.#config.mode === 'flagged';
  }

  /** A capture for one covered request. */
  begin(): AuditCapture {
    return new AuditCapture(this.#config.maxBytes);
  }

  /**
   * A capture for a call that only a `flag` rule on its answer would put in the log (`flagged`
   * mode): begun before the answer, its record written only if the answer flags (`AuditCapture.keep`).
   */
  beginOnFlag(): AuditCapture {
    return new AuditCapture(this.#config.maxBytes, { onFlag: true });
  }

  /** Writes the request's record in the background; `drain` waits for it. Never throws. A capture begun `onFlag` that nothing flagged is dropped. */
  record(capture: AuditCapture, usage: UsageRecord): void {
    if (!capture.wanted) return;
    const key = auditObjectKey(usage.at, usage.requestId);
    // Built inside the chain: a record that cannot be made is a failed write, never an exception
    // thrown into the request's settlement (budgets) or the process.
    const write = Promise.resolve()
      .then(() => {
        const { request, response } = capture.bodies();
        return encodeAuditRecord(auditRecord(usage, request, response));
      })
      .then((gzipped) => this.#sink.put(key, gzipped))
      .catch((err: unknown) => {
        this.#failures++;
        this.#logger.error('audit record could not be written', { requestId: usage.requestId, objectKey: key, auditFailures: this.#failures, error: err instanceof Error ? err.message : String(err) });
      });
    const tracked = write.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Waits for every record started so far (Lambda calls it before the invocation returns). */
  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }
}

/** The audit log the config asks for, or undefined when `audit.mode` is `off` (then no request pays anything for it). */
export function createAuditLog(config: AuditConfig, sink: () => AuditSink, logger: GatewayLogger): AuditLog | undefined {
  return config.mode === 'off' ? undefined : new AuditLog(config, sink(), logger);
}
