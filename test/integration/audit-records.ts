import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AuditRecord } from '../../lib/audit/record';

/** Every audit record a `FileAuditSink` wrote under `dir` (none when it wrote nothing yet): wait for the gateway's writes first. */
export function auditRecordsIn(dir: string): AuditRecord[] {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'audit'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
  return files.map((path) => JSON.parse(gunzipSync(readFileSync(path)).toString()) as AuditRecord);
}
