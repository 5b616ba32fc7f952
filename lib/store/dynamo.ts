import { DynamoDBClient, paginateQuery, type AttributeValue, type DynamoDBClientConfig, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { AWS_CLIENT_TIMEOUTS } from '../aws/client-timeouts';

export interface TableRef {
  client: DynamoDBClient;
  tableName: string;
}

export interface DynamoOptions {
  tableName: string;
  region?: string;
  /** A local endpoint (dynalite, DynamoDB Local); AWS's when absent. */
  endpoint?: string;
}

export function createTableRef(options: DynamoOptions): TableRef {
  const config: DynamoDBClientConfig = { region: options.region ?? process.env.AWS_REGION ?? 'us-east-1', requestHandler: AWS_CLIENT_TIMEOUTS };
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
