import { createServer, type Server } from 'node:http';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { MAXIMUM_RETRY_DELAY, Retry } from '@smithy/core/retry';
import { AWS_CLIENT_TIMEOUTS } from '../aws/client-timeouts';
import { parseConfig } from '../config/load';
import { createTableRef } from '../store/dynamo';
import { MAX_RETRIES, batchRetryDelayMs } from '../store/usage';

/** How many times the table's client (`createTableRef`, as the gateway builds it) sends one call to a table that never answers. */
async function tableCallAttempts(): Promise<number> {
  let attempts = 0;
  const silent: Server = createServer((req) => {
    attempts++;
    req.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  const table = createTableRef({ tableName: 'silent', endpoint: `http://127.0.0.1:${port}`, socketTimeoutMs: 100 });
  try {
    await table.client.send(new BatchWriteItemCommand({ RequestItems: { silent: [{ PutRequest: { Item: { PK: { S: 'a' } } } }] } })).catch(() => undefined);
    return attempts;
  } finally {
    table.client.destroy();
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  }
}

/**
 * The latest a stored response's home can reach the table after its maker's answer ended, when
 * its usage batch is not lost: `flushAfterMs` in the queue, then each of the batch's calls but the
 * last answering with the home unprocessed after the SDK's every attempt took as long as it may
 * (its connect timeout, then its silence timeout) with the longest back-off between (a throttled
 * answer's), and the last landing on its final attempt once connected.
 */
function usageBatchLandsWithinMs(sdkAttempts: number): number {
  const attemptMs = AWS_CLIENT_TIMEOUTS.connectionTimeout + AWS_CLIENT_TIMEOUTS.socketTimeout;
  let sdkBackoffMs = 0;
  for (let retry = 0; retry < sdkAttempts - 1; retry++) sdkBackoffMs += Math.min(Retry.throttlingDelay() * 2 ** retry, MAXIMUM_RETRY_DELAY);
  const wholeCallMs = sdkAttempts * attemptMs + sdkBackoffMs;
  const landingCallMs = (sdkAttempts - 1) * attemptMs + sdkBackoffMs + AWS_CLIENT_TIMEOUTS.connectionTimeout;
  let batchBackoffMs = 0;
  for (let attempt = 1; attempt <= MAX_RETRIES; attempt++) batchBackoffMs += batchRetryDelayMs(attempt);
  return 100 + MAX_RETRIES * wholeCallMs + batchBackoffMs + landingCallMs;
}

const minimal = {
  providers: [{ id: 'openai', type: 'openai', accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] }],
  models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
};
/** Whether the config takes this settle time. */
const accepts = (ownerlessAfterSeconds: number) => {
  try {
    parseConfig({ ...minimal, routing: { ownerlessAfterSeconds } });
    return true;
  } catch {
    return false;
  }
};

describe('routing.ownerlessAfterSeconds', () => {
  it("outlasts the latest a maker's usage batch can land, with the table's client as the gateway builds it, by default and at its least", async () => {
    // Prepare
    const attempts = await tableCallAttempts();

    // Act
    const worstMs = usageBatchLandsWithinMs(attempts);

    // Assess: the figures the README and docs/architecture.md give; no value the config accepts settles sooner.
    expect([attempts, Math.round(worstMs / 1000)]).toEqual([4, 206]);
    expect(parseConfig(minimal).routing.ownerlessAfterSeconds * 1000).toBeGreaterThan(worstMs);
    expect(accepts(Math.floor(worstMs / 1000))).toBe(false);
  });
});
