import { randomUUID } from 'node:crypto';
import { startDynalite, type EmbeddedDynamo } from '../lib/local/dynalite';
import { ensureTable } from '../lib/store/create-table';
import { createTableRef, type TableRef } from '../lib/store/dynamo';
import { storedHomeKey } from '../lib/store/table';

/** An in-memory dynalite with the gateway table, spoken to through the real DynamoDB client. */
export async function startTestTable(): Promise<{ table: TableRef; dynamo: EmbeddedDynamo; close(): Promise<void> }> {
  const dynamo = await startDynalite();
  // As the integration instances: in-process dynalite writes one hot item's updates one after another, and on a loaded 2-core machine some wait past production's 5 s.
  const table = createTableRef({ tableName: `t-${randomUUID().slice(0, 8)}`, endpoint: dynamo.endpoint, socketTimeoutMs: 30_000 });
  await ensureTable(table);
  return {
    table,
    dynamo,
    async close() {
      table.client.destroy();
      await dynamo.close();
    },
  };
}

/** Counts the DynamoDB calls made through a table's client from now on, by command name (`QueryCommand` → 2). */
export function countCalls(table: TableRef): Map<string, number> {
  const calls = new Map<string, number>();
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.set(context.commandName!, (calls.get(context.commandName!) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return calls;
}

/**
 * Runs `meddle` before each `command` call the table's client makes from now on (its input's key's
 * PK given, for a GetItem) until `stop`: it may count, wait or throw.
 */
export function beforeTableCalls(table: TableRef, command: string, meddle: (pk: string | undefined) => unknown): { stop(): void } {
  const name = `meddle-${Math.random()}`;
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command) await meddle((args.input as { Key?: { PK?: { S?: string } } }).Key?.PK?.S);
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { stop: () => void table.client.middlewareStack.remove(name) };
}

/** The PK prefix of stored objects' homes. */
export const STORED_PREFIX = storedHomeKey('').PK;

/** Counts the table's reads of stored objects' homes (GetItem of a `STORED#` key) through this client from now on, keys' and others' reads apart. */
export function countStoredReads(table: TableRef): { readonly count: number; stop(): void } {
  let count = 0;
  const { stop } = beforeTableCalls(table, 'GetItemCommand', (pk) => pk?.startsWith(STORED_PREFIX) && count++);
  return {
    get count() {
      return count;
    },
    stop,
  };
}
