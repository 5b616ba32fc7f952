import { createServer } from 'node:http';
import { request } from 'undici';
import { closeServer, listenOnLoopback, readBodyBytes, sleep } from '../test/fakes/http';

/**
 * A stand-in for the round trip to an AWS endpoint in the Region: forwards each request to
 * `target` (dynalite, a fake service) after `delayMs`, on loopback.
 */
export async function startDelayingProxy(target: string, delayMs: number) {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBodyBytes(req);
      await sleep(delayMs);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'host' && name !== 'connection')) as Record<string, string>;
      const upstream = await request(target + req.url, { method: req.method as 'POST', headers, body });
      res.writeHead(upstream.statusCode, upstream.headers as Record<string, string>).end(Buffer.from(await upstream.body.arrayBuffer()));
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  const url = await listenOnLoopback(server);
  return { url, close: () => closeServer(server) };
}
