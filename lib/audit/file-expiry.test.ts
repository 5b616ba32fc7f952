import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GatewayLogger } from '../observe/logger';
import { AuditFileExpiry, sweepExpiredAudit } from './file-expiry';
import { auditObjectKey } from './record';

const DAY_MS = 86_400_000;
const NOW = Date.parse('2026-11-26T22:30:00Z');

describe('sweepExpiredAudit', () => {
  let root: string;
  let auditDir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'aigw-audit-expiry-'));
    auditDir = join(root, 'audit');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Writes a record where the audit log puts one of a request at `at`. */
  const record = (at: string, id = 'req') => {
    const file = join(root, auditObjectKey(new Date(at), id));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'gz');
    return file;
  };

  it('removes the hours that ended by the cutoff and the days, months and years left empty, keeping the rest', async () => {
    // Prepare: 90 days' retention; the cutoff is 2026-08-28T22:30Z.
    const old = [record('2025-12-31T23:59:00Z'), record('2026-08-27T10:00:00Z'), record('2026-08-28T21:59:59Z')];
    const straddling = record('2026-08-28T22:10:00Z');
    const recent = record('2026-11-26T22:00:00Z');

    // Act
    const swept = await sweepExpiredAudit(auditDir, NOW - 90 * DAY_MS);

    // Assess
    expect(swept).toEqual({ removedHours: 3, more: false });
    for (const file of old) expect(existsSync(file)).toBe(false);
    // Its hour (22:00–23:00) has not ended by 22:30: kept whole until the next sweep.
    expect(existsSync(straddling)).toBe(true);
    expect(existsSync(recent)).toBe(true);
    expect(readdirSync(auditDir)).toEqual(['2026']);
    expect(readdirSync(join(auditDir, '2026'))).toEqual(['08', '11']);
    expect(readdirSync(join(auditDir, '2026', '08'))).toEqual(['28']);
  });

  it('removes at most the bound in one sweep, oldest first, and says more are left', async () => {
    // Prepare
    const files = ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '2026-01-02T05:00:00Z'].map((at) => record(at));

    // Act
    const first = await sweepExpiredAudit(auditDir, NOW, 2);
    const left = files.map((f) => existsSync(f));
    const second = await sweepExpiredAudit(auditDir, NOW, 2);

    // Assess
    expect(first).toEqual({ removedHours: 2, more: true });
    expect(left).toEqual([false, false, true]);
    expect(second).toEqual({ removedHours: 1, more: false });
    expect(readdirSync(auditDir)).toEqual([]);
  });

  it('leaves names outside the layout alone and answers nothing for a missing directory', async () => {
    // Prepare
    mkdirSync(join(auditDir, 'notes'), { recursive: true });
    writeFileSync(join(auditDir, 'README'), 'mine');
    const kept = record('2020-01-01T00:00:00Z');
    writeFileSync(join(dirname(dirname(kept)), 'index.txt'), 'mine too');

    // Act
    const swept = await sweepExpiredAudit(auditDir, NOW);
    const missing = await sweepExpiredAudit(join(root, 'nowhere'), NOW);

    // Assess
    expect(swept.removedHours).toBe(1);
    expect(existsSync(kept)).toBe(false);
    expect(readdirSync(auditDir).sort()).toEqual(['2020', 'README', 'notes']);
    expect(existsSync(join(dirname(dirname(kept)), 'index.txt'))).toBe(true);
    expect(missing).toEqual({ removedHours: 0, more: false });
  });
});

describe('AuditFileExpiry', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'aigw-audit-expiry-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('sweeps at start and again as its clock moves on, logging what it removed', async () => {
    // Prepare
    const write = (at: string) => {
      const file = join(root, auditObjectKey(new Date(at), 'req'));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'gz');
      return file;
    };
    const older = write('2026-11-01T10:00:00Z');
    const newer = write('2026-11-20T10:00:00Z');
    let now = NOW;
    const lines: unknown[][] = [];
    const logger: GatewayLogger = { debug() {}, info: (...args: unknown[]) => void lines.push(args), warn: (...args: unknown[]) => void lines.push(args), error() {} };
    // An interval far beyond the test: only start() and the explicit sweep run.
    const expiry = new AuditFileExpiry({ auditDir: join(root, 'audit'), retentionDays: 10, logger, now: () => now, intervalMs: 3_600_000 });

    try {
      // Act
      expiry.start();
      const atStart = await expiry.sweep();
      const afterStart = [existsSync(older), existsSync(newer)];
      now += 10 * DAY_MS;
      const later = await expiry.sweep();

      // Assess
      expect(atStart).toEqual({ removedHours: 1, more: false });
      expect(afterStart).toEqual([false, true]);
      expect(later).toEqual({ removedHours: 1, more: false });
      expect(existsSync(newer)).toBe(false);
      expect(lines).toEqual([
        ['audit files expired', { auditDir: join(root, 'audit'), retentionDays: 10, removedHours: 1, more: false }],
        ['audit files expired', { auditDir: join(root, 'audit'), retentionDays: 10, removedHours: 1, more: false }],
      ]);
    } finally {
      await expiry.stop();
    }
  });

  it('logs a failed sweep and does not reject', async () => {
    // Prepare: the audit "directory" is a file.
    const auditDir = join(root, 'audit');
    writeFileSync(auditDir, 'not a directory');
    const warned: unknown[][] = [];
    const logger: GatewayLogger = { debug() {}, info() {}, warn: (...args: unknown[]) => void warned.push(args), error() {} };

    // Act
    const swept = await new AuditFileExpiry({ auditDir, retentionDays: 1, logger, now: () => NOW }).sweep();

    // Assess
    expect(swept).toBeUndefined();
    expect(warned[0]?.[0]).toBe('audit files could not be expired');
  });
});
