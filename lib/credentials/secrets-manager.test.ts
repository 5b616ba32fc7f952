import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { CredentialRef } from '../config/schema';
import { CredentialError } from './credentials';
import { AWS_CLIENT_TIMEOUTS } from '../aws/client-timeouts';
import { SecretsManagerCredentials, secretsManagerClient } from './secrets-manager';

// One client for these tests, mocked at its `send`; a client built anywhere else talks HTTP.
const client = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(client);

/** GetSecretValue's answer as Secrets Manager shapes it. */
const answer = (name: string, value: { SecretString?: string; SecretBinary?: Uint8Array }) => ({
  ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`,
  Name: name,
  VersionId: '2c1a3e5b-0000-4000-8000-000000000001',
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-11-01T00:00:00Z'),
  ...value,
});

/** What Secrets Manager answers for a secret the stack created and nobody has filled yet. */
const noValueYet = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: { httpStatusCode: 400 } });

const reads = () => sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId);

/** Resolves on the next turn of the event loop, once every read already answered has been taken. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function credentials(env: NodeJS.ProcessEnv = {}) {
  return new SecretsManagerCredentials({ client, env });
}

describe('credentials from Secrets Manager', () => {
  beforeEach(() => {
    sm.reset();
    jest.restoreAllMocks();
  });

  it('reads a secret once and answers from memory after that', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'aigw/Aigw/openai/main' }).resolves(answer('aigw/Aigw/openai/main', { SecretString: 'sk-live-1\n' }));
    const creds = credentials();

    expect(await creds.resolve({ secret: 'aigw/Aigw/openai/main' })).toBe('sk-live-1');
    expect(await creds.resolve({ secret: 'aigw/Aigw/openai/main' })).toBe('sk-live-1');
    expect(reads()).toEqual(['aigw/Aigw/openai/main']);
  });

  it('reads it again once five minutes have passed, so a rotation reaches a warm instance', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce(answer('k', { SecretString: 'old' })).resolves(answer('k', { SecretString: 'new' }));
    const creds = credentials();
    const start = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(start);

    expect(await creds.resolve({ secret: 'k' })).toBe('old');
    clock.mockReturnValue(start + 299_000);
    expect(await creds.resolve({ secret: 'k' })).toBe('old');
    clock.mockReturnValue(start + 301_000);
    expect(await creds.resolve({ secret: 'k' })).toBe('new');
    expect(reads()).toEqual(['k', 'k']);
  });

  it('reads it again at once after refresh (the upstream refused the key)', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce(answer('k', { SecretString: 'old' })).resolves(answer('k', { SecretString: 'rotated' }));
    const creds = credentials();

    expect(await creds.resolve({ secret: 'k' })).toBe('old');
    creds.refresh({ secret: 'k' });
    expect(await creds.resolve({ secret: 'k' })).toBe('rotated');
    expect(await creds.resolve({ secret: 'k' })).toBe('rotated');
    expect(reads()).toEqual(['k', 'k']);
  });

  it('picks fields out of a JSON secret, and the fields asked for at once share one read', async () => {
    const name = 'aigw/Aigw/bedrock/static/aws-credentials';
    sm.on(GetSecretValueCommand).resolves(answer(name, { SecretString: JSON.stringify({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI', sessionToken: 'IQoJb3JpZ2lu' }) }));
    const creds = credentials();

    const values = await Promise.all(['accessKeyId', 'secretAccessKey', 'sessionToken'].map((field) => creds.resolve({ secret: name, field })));

    expect(values).toEqual(['AKIAEXAMPLE', 'wJalrXUtnFEMI', 'IQoJb3JpZ2lu']);
    expect(reads()).toEqual([name]);
  });

  it.each<[string, () => void, CredentialRef, RegExp]>([
    ['a secret nobody has filled yet', () => sm.on(GetSecretValueCommand).rejects(noValueYet()), { secret: 'aigw/Aigw/openai/main' }, /^cannot read secret aigw\/Aigw\/openai\/main: Secrets Manager can't find the specified secret value/],
    ['access denied', () => sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' })), { secret: 'other' }, /^cannot read secret other: User is not authorized/],
    ['a binary secret', () => sm.on(GetSecretValueCommand).resolves(answer('bin', { SecretBinary: new Uint8Array([1, 2, 3]) })), { secret: 'bin' }, /^secret bin has no string value$/],
    ['an empty string', () => sm.on(GetSecretValueCommand).resolves(answer('empty', { SecretString: '' })), { secret: 'empty' }, /^secret empty has no string value$/],
    ['a field of a secret that is not JSON', () => sm.on(GetSecretValueCommand).resolves(answer('plain', { SecretString: 'sk-1' })), { secret: 'plain', field: 'apiKey' }, /^secret plain \(field apiKey\) is not JSON, so it has no field "apiKey"$/],
    ['a field the JSON secret lacks', () => sm.on(GetSecretValueCommand).resolves(answer('json', { SecretString: '{"other":"x"}' })), { secret: 'json', field: 'apiKey' }, /^secret json \(field apiKey\) has no string field "apiKey"$/],
  ])('refuses %s with a CredentialError naming the secret', async (_what, arrange, ref, message) => {
    arrange();

    const err = await credentials()
      .resolve(ref)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CredentialError);
    expect((err as Error).message).toMatch(message);
  });

  it('does not keep a failed read: the next request tries again', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(noValueYet()).resolves(answer('k', { SecretString: 'filled' }));
    const creds = credentials();

    await expect(creds.resolve({ secret: 'k' })).rejects.toBeInstanceOf(CredentialError);
    expect(await creds.resolve({ secret: 'k' })).toBe('filled');
    expect(reads()).toEqual(['k', 'k']);
  });

  it('resolves env and file references without Secrets Manager', async () => {
    const creds = credentials({ BAKED_KEY: 'sk-env' });

    expect(await creds.resolve({ env: 'BAKED_KEY' })).toBe('sk-env');
    expect(reads()).toEqual([]);
  });

  describe('prefetch (at cold start)', () => {
    it('starts one read per distinct secret without waiting, and later requests use them', async () => {
      let answerNow!: () => void;
      const gate = new Promise<void>((resolve) => (answerNow = resolve));
      sm.on(GetSecretValueCommand).callsFake(async ({ SecretId }: { SecretId: string }) => {
        await gate;
        return answer(SecretId, { SecretString: SecretId === 'aws' ? '{"accessKeyId":"AKIA","secretAccessKey":"s"}' : `value-of-${SecretId}` });
      });
      const creds = credentials({ LOCAL: 'x' });

      creds.prefetch([{ secret: 'a' }, { secret: 'aws', field: 'accessKeyId' }, { secret: 'aws', field: 'secretAccessKey' }, { env: 'LOCAL' }, { secret: 'a' }]);
      await settle();
      expect(reads()).toEqual(['a', 'aws']);

      // A request that comes while the reads are under way waits for them instead of reading again.
      const during = creds.resolve({ secret: 'aws', field: 'secretAccessKey' });
      answerNow();
      expect(await during).toBe('s');
      expect(await creds.resolve({ secret: 'a' })).toBe('value-of-a');
      expect(await creds.resolve({ secret: 'aws', field: 'accessKeyId' })).toBe('AKIA');
      expect(reads()).toEqual(['a', 'aws']);
    });

    it('leaves a secret it cannot read to the request that needs it, which reads it again', async () => {
      sm.on(GetSecretValueCommand).rejectsOnce(noValueYet()).resolves(answer('k', { SecretString: 'filled-since' }));
      const unhandled = jest.fn();
      process.on('unhandledRejection', unhandled);
      try {
        const creds = credentials();
        creds.prefetch([{ secret: 'k' }]);
        await settle();
        await settle();

        expect(await creds.resolve({ secret: 'k' })).toBe('filled-since');
        expect(reads()).toEqual(['k', 'k']);
        expect(unhandled).not.toHaveBeenCalled();
      } finally {
        process.off('unhandledRejection', unhandled);
      }
    });

    it('does not hand a request a prefetched value that refresh has since declared stale', async () => {
      let answerOld!: () => void;
      const gate = new Promise<void>((resolve) => (answerOld = resolve));
      sm.on(GetSecretValueCommand)
        .callsFakeOnce(async () => {
          await gate;
          return answer('k', { SecretString: 'old' });
        })
        .resolves(answer('k', { SecretString: 'new' }));
      const creds = credentials();

      creds.prefetch([{ secret: 'k' }]);
      creds.refresh({ secret: 'k' });
      const value = creds.resolve({ secret: 'k' });
      answerOld();

      expect(await value).toBe('new');
      expect(reads()).toEqual(['k', 'k']);
    });
  });
});

describe('the Secrets Manager client', () => {
  let silent: Server;
  let endpoint: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  // The timeouts' names as this SDK version reads them, shown with a shorter socket timeout.
  it('gives up on an endpoint that accepts the connection and never answers', async () => {
    const client = secretsManagerClient({
      region: 'eu-west-1',
      endpoint,
      credentials: { accessKeyId: 'AKIA', secretAccessKey: 's' },
      maxAttempts: 1,
      requestHandler: { ...AWS_CLIENT_TIMEOUTS, socketTimeout: 200 },
    });
    const started = Date.now();

    const err = await new SecretsManagerCredentials({ client })
      .resolve({ secret: 'k' })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CredentialError);
    expect((err as Error).message).toMatch(/^cannot read secret k: .*timed out/i);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sockets.size).toBe(1);
  });
});
