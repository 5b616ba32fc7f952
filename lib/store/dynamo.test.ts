import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createTableRef, TABLE_MAX_SOCKETS } from './dynamo';

describe('createTableRef', () => {
  let server: Server;
  let endpoint: string;
  let open = 0;
  let mostOpen = 0;

  beforeAll(async () => {
    // A table that takes 2.5 s to answer each call: longer than the SDK's 2 s connection timeout.
    server = createServer((req, res) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      req.resume();
      setTimeout(() => {
        open--;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      }, 2_500);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('lets a burst of calls past the SDK default of 50 sockets through at once, none refused for waiting on a socket', async () => {
    // Prepare
    const table = createTableRef({ tableName: 't', endpoint });
    const get = (i: number) => table.client.send(new GetItemCommand({ TableName: 't', Key: { PK: { S: `k${i}` }, SK: { S: 's' } } }));

    // Act: with 50 sockets, calls 51 to 120 waited for a free one past the connection timeout and failed.
    const outcomes = await Promise.allSettled(Array.from({ length: 120 }, (_, i) => get(i)));
    table.client.destroy();

    // Assess
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    expect(mostOpen).toBe(120);
    expect(TABLE_MAX_SOCKETS).toBeGreaterThanOrEqual(120);
  });
});
