import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FileAuditSink } from './file-sink';

describe('FileAuditSink', () => {
  it('writes a record under the data dir in the bucket\'s layout, readable by its owner only', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'aigw-audit-'));
    try {
      // Act
      await new FileAuditSink(dir).put('audit/2026/11/26/22/req-1.json.gz', gzipSync('{"requestId":"req-1"}'));

      // Assess
      const file = join(dir, 'audit/2026/11/26/22/req-1.json.gz');
      expect(JSON.parse(gunzipSync(readFileSync(file)).toString())).toEqual({ requestId: 'req-1' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
