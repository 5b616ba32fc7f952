import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { BatchWriter } from '../store/usage';

export interface EmbeddedDynamo {
  endpoint: string;
  /**
   * With `thread`: BatchWriteItem run by a DynamoDB client on the store's thread, so that the
   * SDK's work (about 1 ms per 25 items: marshalling, signing, HTTP) stays off the gateway's
   * event loop too.
   */
  writeBatch?: BatchWriter;
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** LevelDB directory, kept across restarts; in memory when absent (tests). A data dir always gets the store's own thread. */
  path?: string;
  port?: number;
  /**
   * Run dynalite on a thread of its own, at the lowest scheduling priority where the OS lets a
   * thread set its own (Linux). Its work per write is many times the gateway's own per request:
   * on the gateway's event loop it would hold up requests that arrive meanwhile, and as an equal
   * thread on a busy core it takes whole time slices (milliseconds) from the gateway when a
   * request arrives. Usage writes do not wait on it; requests wait only when it falls far behind
   * (`UsageSink.backlog`).
   */
  thread?: boolean;
}

/** Starts dynalite in this process on a free loopback port. */
export async function startDynalite(options: DynaliteOptions = {}): Promise<EmbeddedDynamo> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  return options.thread || options.path ? onThread(options) : onEventLoop(options);
}

async function onEventLoop(options: DynaliteOptions): Promise<EmbeddedDynamo> {
  // Loaded here, not at the top: `npm start` runs dynalite on its thread and never needs it in this one.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
try {
  // On Linux a thread is a task of its own: setpriority on its id lowers this thread alone.
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, 19);
} catch {}
const dynalite = require(workerData.module);
const { DynamoDBClient, BatchWriteItemCommand } = require(workerData.sdk);
let server;
let client;
// dynalite opens its LevelDB lazily and, when another process holds it, crashes later with
// "Database is closed": the lock is tried first, to say what is wrong. LevelDB works on libuv's
// thread pool, and a thread starts with the priority of the thread that starts it: this check is
// the process's first use of the pool (startDynalite runs before anything else in the gateway
// touches it), so the pool and LevelDB's compaction thread are started from here and yield too.
lockCheck(workerData.path).then(() => {
  server = dynalite({ ...(workerData.path ? { path: workerData.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.on('error', (err) => parentPort.postMessage({ error: err.message }));
  server.listen(workerData.port, '127.0.0.1', () => {
    const endpoint = 'http://127.0.0.1:' + server.address().port;
    client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    parentPort.postMessage({ port: server.address().port });
  });
}, (err) => parentPort.postMessage({ error: err.message }));
async function lockCheck(path) {
  if (!path) return;
  const db = new (require(workerData.level).Level)(path);
  try {
    await db.open();
  } catch (err) {
    throw new Error(err.cause && err.cause.code === 'LEVEL_LOCKED' ? workerData.lockedMessage : err.message);
  }
  await db.close();
}
parentPort.on('message', (m) => {
  if (m === 'close') { client.destroy(); server.closeAllConnections(); server.close(() => process.exit(0)); return; }
  client.send(new BatchWriteItemCommand(m.input)).then(
    (out) => parentPort.postMessage({ id: m.id, out: { UnprocessedItems: out.UnprocessedItems } }),
    (err) => parentPort.postMessage({ id: m.id, error: { name: err.name, message: err.message } }),
  );
});
`;

type Reply = { id: number; out: Awaited<ReturnType<BatchWriter>>; error?: undefined } | { id: number; error: { name: string; message: string } };

async function onThread(options: DynaliteOptions): Promise<EmbeddedDynamo> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // The environment as this module sees it (test runners sandbox process.env), not the process's first one.
    env: { ...process.env },
    workerData: {
      module: require.resolve('dynalite'),
      sdk: require.resolve('@aws-sdk/client-dynamodb'),
      level: require.resolve('level'),
      lockedMessage: `the data dir ${options.path} is in use by another gateway process: stop it, or start this one on another PORT with its own GATEWAY_DATA_DIR (or share one store with DYNAMODB_ENDPOINT)`,
      path: options.path,
      port: options.port ?? 0,
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { port?: number; error?: string }) => (m.port ? resolve(m.port) : reject(new Error(m.error))));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  const waiting = new Map<number, { resolve: (out: Awaited<ReturnType<BatchWriter>>) => void; reject: (err: Error) => void }>();
  let lastId = 0;
  worker.on('message', (m: Reply) => {
    const call = waiting.get(m.id);
    waiting.delete(m.id);
    if (!waiting.size) worker.unref();
    if (m.error) call?.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
    else call?.resolve(m.out);
  });
  worker.on('exit', () => {
    for (const call of waiting.values()) call.reject(new Error('the store thread has stopped'));
    waiting.clear();
  });
  // An idle thread must not keep a stopping process alive; one with writes to answer must (the
  // listener above would hold it for good: unref after it).
  worker.unref();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    writeBatch: (input) =>
      new Promise((resolve, reject) => {
        const id = ++lastId;
        waiting.set(id, { resolve, reject });
        if (waiting.size === 1) worker.ref();
        worker.postMessage({ id, input });
      }),
    close: async () => {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      // Held until it has exited: with nothing else left (a start that failed to listen), an
      // unref'd thread would let the process end here, before the caller hears of the failure.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
