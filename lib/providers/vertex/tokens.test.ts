import { generateKeyPairSync } from 'node:crypto';
import type { CredentialRef } from '../../config/schema';
import { CredentialError } from '../../credentials/credentials';
import { GoogleTokenRefusedError, type ServiceAccountKey } from './service-account';
import { VertexTokens } from './tokens';

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const keyJson = (email: string) => JSON.stringify({ type: 'service_account', client_email: email, private_key: PEM, token_uri: 'https://oauth2.googleapis.com/token' });
const ref: CredentialRef = { secret: 'aigw/prod/vertex/main' };

function setup(answers: (() => Promise<{ accessToken: string; expiresInS: number }>)[]) {
  const keys = [keyJson('first@p.iam.gserviceaccount.com'), keyJson('second@p.iam.gserviceaccount.com')];
  let current = 0;
  const refreshed: CredentialRef[] = [];
  const asked: string[] = [];
  const tokens = new VertexTokens({
    fetchToken: (key: ServiceAccountKey) => {
      asked.push(key.clientEmail);
      return answers.shift()!();
    },
    resolveKey: async () => keys[current]!,
    refreshKey: (r) => {
      refreshed.push(r);
      current = Math.min(current + 1, keys.length - 1);
    },
  });
  return { tokens, refreshed, asked, get: () => tokens.token(ref, { timeoutMs: 1_000 }) };
}

describe('VertexTokens', () => {
  it('trades the key its reference resolves to for a token, and serves it again from memory', async () => {
    // Prepare
    const t = setup([async () => ({ accessToken: 'ya29.one', expiresInS: 3600 })]);

    // Act
    const tokens = [await t.get(), await t.get(), await t.tokens.token({ ...ref }, { timeoutMs: 1_000 })];

    // Assess
    expect(tokens).toEqual(['ya29.one', 'ya29.one', 'ya29.one']);
    expect(t.asked).toEqual(['first@p.iam.gserviceaccount.com']);
  });

  it('reads the key again after Google refused it, so a key replaced in its secret is picked up', async () => {
    // Prepare
    const t = setup([async () => Promise.reject(new GoogleTokenRefusedError('refused')), async () => ({ accessToken: 'ya29.two', expiresInS: 3600 })]);

    // Act
    await expect(t.get()).rejects.toThrow('refused');
    const token = await t.get();

    // Assess
    expect(token).toBe('ya29.two');
    expect(t.refreshed).toEqual([ref]);
    expect(t.asked).toEqual(['first@p.iam.gserviceaccount.com', 'second@p.iam.gserviceaccount.com']);
  });

  it('keeps the key after a failure that is not a refusal (Google unreachable)', async () => {
    // Prepare
    const t = setup([async () => Promise.reject(new CredentialError('cannot reach Google'))]);

    // Act
    await expect(t.get()).rejects.toThrow('cannot reach Google');

    // Assess
    expect(t.refreshed).toEqual([]);
  });

  it('reads a secret again when it holds no key yet (created empty, filled after deploy)', async () => {
    // Prepare
    const refreshed: CredentialRef[] = [];
    const tokens = new VertexTokens({ fetchToken: async () => ({ accessToken: 'x', expiresInS: 1 }), resolveKey: async () => '', refreshKey: (r) => refreshed.push(r) });

    // Act
    const err = await tokens.token(ref, { timeoutMs: 1_000 }).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(CredentialError);
    expect(refreshed).toEqual([ref]);
  });
});
