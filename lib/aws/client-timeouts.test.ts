import { secretsManagerClient } from '../credentials/secrets-manager';
import { createTableRef } from '../store/dynamo';
import { AWS_CLIENT_TIMEOUTS } from './client-timeouts';

// What the SDK made of the `requestHandler` options: its handler resolves them into its config.
async function handlerConfig(client: { config: { requestHandler: unknown } }): Promise<Record<string, unknown>> {
  return (client.config.requestHandler as { configProvider: Promise<Record<string, unknown>> }).configProvider;
}

describe('the AWS clients the gateway builds', () => {
  it.each<[string, () => { config: { requestHandler: unknown } }]>([
    ['DynamoDB (keys, usage)', () => createTableRef({ tableName: 't', region: 'eu-west-1' }).client],
    ['DynamoDB on a local endpoint', () => createTableRef({ tableName: 't', endpoint: 'http://127.0.0.1:1' }).client],
    ['Secrets Manager', () => secretsManagerClient({ region: 'eu-west-1' })],
  ])('%s gives up on a silent connection within seconds', async (_name, build) => {
    expect(await handlerConfig(build())).toMatchObject(AWS_CLIENT_TIMEOUTS);
  });
});
