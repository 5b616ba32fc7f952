import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Level } from 'level';

export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** LevelDB directory, kept across restarts; in memory when absent (tests). */
  path?: string;
  port?: number;
  /**
   * Run dynalite on a thread of its own. Its work per write is many times the gateway's own per
   * request, so on the gateway's event loop it would hold up requests that arrive meanwhile.
   */
  thread?: boolean;
}

/** Starts dynalite in this process on a free loopback port. */
export async function startDynalite(options: DynaliteOptions = {}): Promise<EmbeddedDynamo> {
  if (options.path) {
    mkdirSync(options.path, { recursive: true });
    await assertNotInUse(options.path);
  }
  return options.thread ? onThread(options) : onEventLoop(options);
}

async function onEventLoop(options: DynaliteOptions): Promise<EmbeddedDynamo> {
  // Loaded here, not at the top: `npm start` runs dynalite on its thread and never needs it in this one.
  const { default: dynalite } = await import('dynalite');
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

// Plain JavaScript, so the thread needs no TypeScript loader and survives bundling.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.module);
const server = dynalite({ ...(workerData.path ? { path: workerData.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('error', (err) => parentPort.postMessage({ error: err.message }));
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'close') { server.closeAllConnections(); server.close(() => process.exit(0)); }
});
`;

async function onThread(options: DynaliteOptions): Promise<EmbeddedDynamo> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: require.resolve('dynalite'), path: options.path, port: options.port ?? 0 } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { port?: number; error?: string }) => (m.port ? resolve(m.port) : reject(new Error(m.error))));
  });
  // The thread must not keep a stopping process alive.
  worker.unref();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('close');
      await exited;
    },
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
