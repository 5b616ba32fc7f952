import { randomUUID } from 'node:crypto';
import { startDynalite, type EmbeddedDynamo } from '../lib/local/dynalite';
import { ensureTable } from '../lib/store/create-table';
import { createTableRef, type TableRef } from '../lib/store/dynamo';

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
