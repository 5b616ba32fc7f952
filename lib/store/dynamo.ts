import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
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
