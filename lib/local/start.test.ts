import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load';
import { startLocalGateway } from './start';

const config = parseConfig({ providers: [{ id: 'openai', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'NONE' } }] }], models: [{ name: 'm', targets: [{ provider: 'openai', model: 'm' }] }] });

describe('startLocalGateway', () => {
  it('closes what it had started when it fails half-way: the data dir is free for the next start', async () => {
    // Arrange: a port already taken, the failure `npm start` meets most. The embedded store has
    // opened the data dir (LevelDB locks it) by the time the server fails to listen.
    const dir = mkdtempSync(join(tmpdir(), 'aigw-start-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      // Act
      const refused = await startLocalGateway({ config, adminToken: 't', port: (taken.address() as AddressInfo).port, store: { embedded: dir } }).then(
        () => undefined,
        (err: unknown) => err,
      );
      const again = await startLocalGateway({ config, adminToken: 't', port: 0, store: { embedded: dir } });

      // Assess: the start's own error, and a second start on the same data (an app or test that retries) is not locked out.
      expect((refused as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
      await again.close();
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
