import { createServer } from 'node:http';
import { closeServer, listenOnLoopback, readBodyBytes } from '../../test/fakes/http';
import type { BudgetAlert } from './message';
import { WebhookNotifier, everyNotifier } from './webhook';

const ALERT: BudgetAlert = {
  owner: { kind: 'key', id: 'key_1', name: 'alice' },
  threshold: 1,
  budget: { kind: 'month', periodId: '2026-11', limitMicros: 10_000_000, usedMicros: 10_000_000, fraction: 1, resetsAt: '2026-12-01T00:00:00.000Z' },
};

describe('WebhookNotifier', () => {
  const received: unknown[] = [];
  let status = 204;
  const server = createServer((req, res) => {
    void readBodyBytes(req).then((body) => {
      received.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body.toString()) });
      res.writeHead(status).end();
    });
  });
  let url: string;
  beforeAll(async () => {
    url = await listenOnLoopback(server);
  });
  afterAll(async () => closeServer(server));

  it('POSTs the alert as JSON with its subject and text', async () => {
    await new WebhookNotifier(new URL(`${url}/hook`)).notify(ALERT);

    expect(received).toEqual([
      { method: 'POST', type: 'application/json', body: { subject: 'aigw: key "alice" reached 100% of its monthly budget ($10.00 of $10.00)', message: expect.stringContaining('Key "alice" (key_1)'), alert: ALERT } },
    ]);
  });

  it('fails when the webhook does not answer 2xx, and so does a fan-out that includes it', async () => {
    status = 500;
    const delivered: BudgetAlert[] = [];

    await expect(new WebhookNotifier(new URL(url)).notify(ALERT)).rejects.toThrow('answered 500');
    await expect(everyNotifier([{ notify: async (a) => void delivered.push(a) }, new WebhookNotifier(new URL(url))]).notify(ALERT)).rejects.toThrow('answered 500');
    expect(delivered).toEqual([ALERT]);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new WebhookNotifier(new URL('file:///etc/passwd'))).toThrow('must be an http(s) URL');
  });
});
