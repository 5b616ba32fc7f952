import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import dynalite from 'dynalite';
import { Level } from 'level';

export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite in this process on a free loopback port. With `path`, data is kept on disk
 * (LevelDB) across restarts; without, it lives in memory (tests).
 */
export async function startDynalite(options: { path?: string; port?: number } = {}): Promise<EmbeddedDynamo> {
  if (options.path) {
    mkdirSync(options.path, { recursive: true });
    await assertNotInUse(options.path);
  }
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * dynalite opens its LevelDB lazily and, when another process holds it, crashes later with
 * "Database is closed". Try the lock first and say what is wrong.
 */
async function assertNotInUse(path: string): Promise<void> {
  const db = new Level(path);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`the data dir ${path} is in use by another gateway process: stop it, or give this one its own GATEWAY_DATA_DIR (or share one store with DYNAMODB_ENDPOINT)`);
    }
    throw err;
  }
  await db.close();
}
