import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayLogger } from '../observe/logger';

/** How often a running `npm start` looks for expired audit files: the layout's grain is an hour. */
export const AUDIT_SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** The most hour directories one sweep removes (a week's), so a long backlog is worked off over several sweeps. */
export const AUDIT_SWEEP_MAX_HOURS = 7 * 24;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** What one sweep did: hour directories removed, and whether expired ones were left for the next. */
export interface AuditSweep {
  removedHours: number;
  more: boolean;
}

/** The numbered subdirectories of `dir` (`2026`, `11`, …), oldest first; none when it does not exist. */
async function numbered(dir: string, digits: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const pattern = new RegExp(`^\\d{${digits}}$`);
  return names.filter((name) => pattern.test(name)).sort();
}

/** Removes `dir` if nothing is left in it (another writer may just have put a file there: then it stays). */
async function removeIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw err;
  }
}

/**
 * Removes the audit records under `auditDir` (`YYYY/MM/DD/HH/<requestId>.json.gz`, UTC, as
 * `auditObjectKey` lays them out) whose whole hour ended at or before `cutoffMs`, then the day, month and
 * year directories left empty. The hour in the path is the request's, so no file is read or
 * stat'ed; the walk goes oldest first and stops at the first hour still kept, and after
 * `maxHours` removed hour directories (the rest waits for the next sweep). Names outside the
 * layout are left alone.
 *
 * @example
 * await sweepExpiredAudit('.data/audit', Date.now() - 90 * 86_400_000)
 * // { removedHours: 3, more: false }: .data/audit/2026/08/28/{21,22,23} are gone, and 2026/08/28 with them
 */
export async function sweepExpiredAudit(auditDir: string, cutoffMs: number, maxHours = AUDIT_SWEEP_MAX_HOURS): Promise<AuditSweep> {
  let removedHours = 0;
  for (const year of await numbered(auditDir, 4)) {
    const yearDir = join(auditDir, year);
    for (const month of await numbered(yearDir, 2)) {
      const monthDir = join(yearDir, month);
      for (const day of await numbered(monthDir, 2)) {
        const dayDir = join(monthDir, day);
        for (const hour of await numbered(dayDir, 2)) {
          const hourEnds = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour)) + HOUR_MS;
          if (hourEnds > cutoffMs) return { removedHours, more: false };
          if (removedHours >= maxHours) return { removedHours, more: true };
          await rm(join(dayDir, hour), { recursive: true, force: true });
          removedHours++;
        }
        await removeIfEmpty(dayDir);
      }
      await removeIfEmpty(monthDir);
    }
    await removeIfEmpty(yearDir);
  }
  return { removedHours, more: false };
}

export interface AuditExpiryOptions {
  auditDir: string;
  retentionDays: number;
  logger: GatewayLogger;
  /** Epoch ms (tests move it). */
  now?: () => number;
  intervalMs?: number;
  maxHoursPerSweep?: number;
}

/**
 * Local audit files expire as the bucket's lifecycle expires objects on AWS: after
 * `audit.retentionDays`. A sweep runs soon after start and then every `intervalMs` (an hour), on a
 * timer that does not keep the process alive, never on a request's path; one sweep at a time, each
 * bounded (`sweepExpiredAudit`). A failed sweep is logged and the next one tries again.
 *
 * @example
 * const expiry = new AuditFileExpiry({ auditDir: '.data/audit', retentionDays: 90, logger });
 * expiry.start();
 * // on shutdown
 * await expiry.stop();
 */
export class AuditFileExpiry {
  readonly #options: Required<Omit<AuditExpiryOptions, 'now'>> & { now: () => number };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<AuditSweep | undefined> | undefined;

  constructor(options: AuditExpiryOptions) {
    this.#options = { now: Date.now, intervalMs: AUDIT_SWEEP_INTERVAL_MS, maxHoursPerSweep: AUDIT_SWEEP_MAX_HOURS, ...options };
  }

  /** Sweeps once now (in the background) and then every interval. */
  start(): void {
    if (this.#timer) return;
    void this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /**
   * One sweep, unless one is already under way (then that one's result). Never rejects: a
   * failure is logged and answered `undefined`.
   */
  sweep(): Promise<AuditSweep | undefined> {
    this.#running ??= this.#sweepOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #sweepOnce(): Promise<AuditSweep | undefined> {
    const { auditDir, retentionDays, logger, now, maxHoursPerSweep } = this.#options;
    try {
      const swept = await sweepExpiredAudit(auditDir, now() - retentionDays * DAY_MS, maxHoursPerSweep);
      if (swept.removedHours > 0) logger.info('audit files expired', { auditDir, retentionDays, removedHours: swept.removedHours, more: swept.more });
      return swept;
    } catch (err) {
      logger.warn('audit files could not be expired', { auditDir, error: (err as Error).message });
      return undefined;
    }
  }

  /** Stops the timer and waits for a sweep under way. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
