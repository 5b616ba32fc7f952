import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand, paginateQuery, type AttributeValue, type DynamoDBClientConfig, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { AWS_CLIENT_TIMEOUTS } from '../aws/client-timeouts';
import { TABLE_SHAPE } from './table';

export interface TableRef {
  client: DynamoDBClient;
  tableName: string;
}

export interface DynamoOptions {
  tableName: string;
  region?: string;
  /** A local endpoint (dynalite, DynamoDB Local); AWS's when absent. */
  endpoint?: string;
  /** How long a call may wait with no word from the table before it fails (and is retried): `AWS_CLIENT_TIMEOUTS`' 5 s unless told. */
  socketTimeoutMs?: number;
}

/**
 * Sockets the table's client may open at once. The SDK's default is 50, and its connection timeout
 * runs from the moment a call is made, its wait for a free socket included: a long-running
 * gateway (the local server) taking a burst of calls, two or three table writes each, queued past
 * 50 and refused calls with "did not establish a connection within 2000 ms" that never tried to
 * connect (200 parallel calls against a budget did, on a slow machine). A Lambda instance makes a
 * few calls at a time and never comes near either figure.
 */
export const TABLE_MAX_SOCKETS = 1_000;

export function createTableRef(options: DynamoOptions): TableRef {
  const agent = { maxSockets: TABLE_MAX_SOCKETS };
  const config: DynamoDBClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    requestHandler: { ...AWS_CLIENT_TIMEOUTS, ...(options.socketTimeoutMs ? { socketTimeout: options.socketTimeoutMs } : {}), httpAgent: agent, httpsAgent: agent },
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    // dynalite accepts any credentials; fixed ones keep a local run from searching for real ones.
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return { client: new DynamoDBClient(config), tableName: options.tableName };
}

/** Every item a query matches, over all its pages. */
export async function queryAll(table: TableRef, input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  for await (const page of paginateQuery({ client: table.client }, { TableName: table.tableName, ...input })) items.push(...(page.Items ?? []));
  return items;
}

/** Every item in one partition of the table's index (all keys, all teams), in index order. */
export async function listIndexPartition(table: TableRef, partition: string): Promise<Record<string, AttributeValue>[]> {
  const { index } = TABLE_SHAPE;
  return queryAll(table, {
    IndexName: index.name,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': index.partitionKey },
    ExpressionAttributeValues: { ':pk': { S: partition } },
  });
}

/**
 * Sets (and removes) attributes of an existing item and returns it as it is now; undefined when
 * the item is not there (it has gone meanwhile), which the condition keeps from being created.
 * `mustHave` names an attribute the item must have to be the one meant (default: any item).
 */
export async function setAttributes(table: TableRef, key: { PK: string; SK: string }, values: Record<string, AttributeValue>, remove: readonly string[] = [], mustHave = 'PK'): Promise<Record<string, AttributeValue> | undefined> {
  const setNames = Object.keys(values);
  const names = [...setNames, ...remove];
  const sets = setNames.map((_, i) => `#n${i} = :v${i}`);
  const removes = remove.map((_, i) => `#n${setNames.length + i}`);
  try {
    const out = await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { PK: { S: key.PK }, SK: { S: key.SK } },
        UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
        ConditionExpression: 'attribute_exists(#must)',
        ExpressionAttributeNames: { ...Object.fromEntries(names.map((name, i) => [`#n${i}`, name])), '#must': mustHave },
        ...(sets.length ? { ExpressionAttributeValues: Object.fromEntries(Object.values(values).map((v, i) => [`:v${i}`, v])) } : {}),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return undefined;
    throw err;
  }
}
