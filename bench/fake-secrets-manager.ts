/**
 * A fake Secrets Manager for the cold-start benchmark: `GetSecretValue` over the AWS JSON 1.1
 * protocol (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`), answered after `delayMs` as a
 * stand-in for the round trip to the regional endpoint. Requests must carry a SigV4 Authorization
 * header scoped to `secretsmanager` (the signature itself is not checked: this fake measures, the
 * tests check signing against the fake Bedrock).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBodyBytes, sleep } from '../test/fakes/http';

export interface FakeSecretsManager {
  url: string;
  /** GetSecretValue calls answered, by secret id. */
  readonly reads: string[];
  close(): Promise<void>;
}

const SCOPE = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/secretsmanager\/aws4_request, ?SignedHeaders=[^, ]+, ?Signature=[0-9a-f]{64}$/;

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() }).end(JSON.stringify(body));
}

export async function startFakeSecretsManager(secrets: Record<string, string>, options: { delayMs?: number } = {}): Promise<FakeSecretsManager> {
  const reads: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBodyBytes(req);
      await sleep(options.delayMs ?? 0);
      if (!SCOPE.test(req.headers.authorization ?? '')) return answer(res, 400, { __type: 'IncompleteSignatureException', message: 'Authorization header requires Credential, SignedHeaders and Signature.' });
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') return answer(res, 400, { __type: 'UnknownOperationException' });
      const { SecretId } = JSON.parse(body.toString('utf8')) as { SecretId: string };
      reads.push(SecretId);
      const value = secrets[SecretId];
      if (value === undefined) return answer(res, 400, { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." });
      answer(res, 200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}-AbCdEf`,
        Name: SecretId,
        SecretString: value,
        VersionId: '2c1a3e5b-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_764_000_000,
      });
    })();
  });
  const url = await listenOnLoopback(server);
  return { url, reads, close: () => closeServer(server) };
}
