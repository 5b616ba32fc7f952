import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { buildSync } from 'esbuild';
import { ensureTable } from '../store/create-table';
import { createTableRef } from '../store/dynamo';
import { startDynalite } from './dynalite';

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/TID/stat). */
function niceOf(tid: string | number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
const lowestPriorityThreads = () => readdirSync('/proc/self/task').filter((tid) => niceOf(tid) === 19).length;

const onLinux = process.platform === 'linux' ? it : it.skip;

describe('the embedded store on its own thread', () => {
  onLinux('runs at the lowest priority, leaving the gateway thread as it was, and still answers', async () => {
    const before = lowestPriorityThreads();
    const mainNice = niceOf(process.pid);
    const dynamo = await startDynalite({ thread: true });
    try {
      const table = createTableRef({ tableName: 'aigw', endpoint: dynamo.endpoint });
      await ensureTable(table);
      await table.client.send(new PutItemCommand({ TableName: 'aigw', Item: { PK: { S: 'a' }, SK: { S: 'b' } } }));
      const got = await table.client.send(new GetItemCommand({ TableName: 'aigw', Key: { PK: { S: 'a' }, SK: { S: 'b' } } }));
      const after = lowestPriorityThreads();
      table.client.destroy();

      expect(got.Item?.PK).toEqual({ S: 'a' });
      // The store's thread, and libuv's pool with it when the store is the first in this jest worker to
      // use the pool (as it is in `npm start`, by design: see WORKER_SOURCE): one new thread or five.
      expect(after).toBeGreaterThan(before);
      expect(niceOf(process.pid)).toBe(mainNice);
    } finally {
      await dynamo.close();
    }
  });

  it('runs batch writes on its thread and hands back what the store answered', async () => {
    const dynamo = await startDynalite({ thread: true });
    const table = createTableRef({ tableName: 'aigw', endpoint: dynamo.endpoint });
    try {
      await ensureTable(table);
      const puts = ['1', '2', '3'].map((n) => ({ PutRequest: { Item: { PK: { S: 'batch' }, SK: { S: n } } } }));

      const out = await dynamo.writeBatch!({ RequestItems: { aigw: puts } });
      const refused = await dynamo.writeBatch!({ RequestItems: { missing: puts } }).catch((err: Error) => err);
      const rows = await table.client.send(new QueryCommand({ TableName: 'aigw', KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: 'batch' } } }));

      expect(out.UnprocessedItems).toEqual({});
      expect(rows.Items?.map((i) => i.SK?.S)).toEqual(['1', '2', '3']);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).name).toBe('ResourceNotFoundException');
    } finally {
      table.client.destroy();
      await dynamo.close();
    }
  });

  it('lets the process end when idle, and keeps it alive while a write waits for its answer', async () => {
    // A process with nothing else to do: it must end by itself, but only after the answer came.
    const script = `
      const { startDynalite } = require(${JSON.stringify(join(__dirname, 'dynalite.ts'))});
      startDynalite({ thread: true }).then((store) => {
        store.writeBatch({ RequestItems: { missing: [{ PutRequest: { Item: { PK: { S: 'a' }, SK: { S: 'b' } } } }] } })
          .catch((err) => process.stdout.write('answered: ' + err.name));
      });`;
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 20_000 }, (_err, out) => resolve({ code: child.exitCode, out }));
      });

    const { code, out } = await run();

    expect(out).toBe('answered: ResourceNotFoundException');
    expect(code).toBe(0);
  }, 30_000);

  onLinux('starts the thread pool that LevelDB works on at its own low priority', async () => {
    // In a fresh process, bundled as `npm start` runs it (a TypeScript loader would use the pool
    // first): the pool's threads are started by whichever thread uses it first.
    const dir = mkdtempSync(join(tmpdir(), 'aigw-pool-'));
    const bundled = buildSync({ entryPoints: [join(__dirname, 'dynalite.ts')], bundle: true, platform: 'node', packages: 'external', write: false, logLevel: 'silent' });
    const script = `${bundled.outputFiles[0]!.text}
      const { readdirSync, readFileSync } = require('node:fs');
      const nice = (tid) => { const s = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); };
      module.exports.startDynalite({ thread: true, path: ${JSON.stringify(dir)} }).then(async (store) => {
        const low = readdirSync('/proc/self/task').filter((tid) => nice(tid) === 19).length;
        process.stdout.write(JSON.stringify({ low, main: nice(process.pid) }));
        await store.close();
      });`;
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['-e', script], { timeout: 20_000, env: { ...process.env, UV_THREADPOOL_SIZE: '3' } }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        );
      });

      // The store's thread and the pool's three at least (LevelDB may have started its own too).
      expect(JSON.parse(out).low).toBeGreaterThanOrEqual(4);
      expect(JSON.parse(out).main).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('a data dir held by another gateway', () => {
  it.each([true, false])('is refused with a message that says what to do (thread asked for: %s)', async (thread) => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-lock-'));
    const first = await startDynalite({ thread: true, path: dir });
    try {
      await expect(startDynalite({ thread, path: dir })).rejects.toThrow(`the data dir ${dir} is in use by another gateway process`);
    } finally {
      await first.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
