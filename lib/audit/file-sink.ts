import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AuditSink } from './log';

/**
 * Audit records as files under the local data dir (`npm start`): `<dataDir>/audit/YYYY/MM/DD/HH/
 * <requestId>.json.gz`, the bucket's layout, so the same tools read both (`zcat`, `jq`).
 *
 * @example
 * new FileAuditSink('.data').put('audit/2026/11/26/22/req-1.json.gz', gzipped) // writes .data/audit/2026/11/26/22/req-1.json.gz
 */
export class FileAuditSink implements AuditSink {
  readonly #dataDir: string;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  get description(): string {
    return join(this.#dataDir, 'audit');
  }

  async put(key: string, gzipped: Buffer): Promise<void> {
    const file = join(this.#dataDir, key);
    await mkdir(dirname(file), { recursive: true });
    // Private to the user who runs the gateway: the bodies hold prompts and answers.
    await writeFile(file, gzipped, { mode: 0o600 });
  }
}
