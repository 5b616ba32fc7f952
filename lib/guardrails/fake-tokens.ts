/**
 * Made-up tokens of each built-in detector's shape, for tests and the benchmark: deterministic
 * pseudo-random characters, never real credentials.
 */

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` characters of `alphabet`, the same for the same seed. */
export function fakeChars(n: number, seed: number, alphabet = BASE62): string {
  let x = Math.imul(seed + 1, 0x9e3779b1) >>> 0 || 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    // xorshift32: 32-bit integer steps, so no precision is lost as it would be in a float.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const FAKE = {
  awsKeyId: `AKIA${fakeChars(16, 1, BASE32)}`,
  awsTempKeyId: `ASIA${fakeChars(16, 2, BASE32)}`,
  awsSecret: fakeChars(40, 3, `${BASE62}/+`),
  githubClassic: `ghp_${fakeChars(36, 4)}`,
  githubOAuth: `gho_${fakeChars(36, 5)}`,
  githubFineGrained: `github_pat_${fakeChars(22, 6)}_${fakeChars(59, 7)}`,
  openaiLegacy: `sk-${fakeChars(20, 8)}T3BlbkFJ${fakeChars(20, 9)}`,
  openaiProject: `sk-proj-${fakeChars(74, 10, `${BASE62}_-`)}T3BlbkFJ${fakeChars(74, 11, `${BASE62}_-`)}`,
  openaiProjectShort: `sk-proj-${fakeChars(48, 12)}`,
  anthropic: `sk-ant-api03-${fakeChars(93, 13, `${BASE62}_-`)}AA`,
  anthropicOAuth: `sk-ant-oat01-${fakeChars(93, 14, `${BASE62}_-`)}AA`,
  google: `AIza${fakeChars(35, 15, `${BASE62}_-`)}`,
  slackBot: `xoxb-${fakeChars(12, 16, '0123456789')}-${fakeChars(13, 17, '0123456789')}-${fakeChars(24, 18)}`,
  slackUser: `xoxp-${fakeChars(12, 19, '0123456789')}-${fakeChars(12, 20, '0123456789')}-${fakeChars(32, 21)}`,
  stripeLive: `sk_live_${fakeChars(24, 22)}`,
  stripeRestricted: `rk_live_${fakeChars(99, 23)}`,
  jwt: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${fakeChars(40, 24)}.${fakeChars(43, 25, `${BASE62}_-`)}`,
  gatewayKey: `sk-gw-${fakeChars(43, 26, `${BASE62}_-`)}`,
} as const;

/** A PEM private key block of the kind (`RSA `, `EC `, `OPENSSH `, '' for PKCS#8), with real line breaks. */
export function fakePem(kind: string, seed = 30): string {
  const lines = Array.from({ length: 6 }, (_, i) => fakeChars(64, seed + i, `${BASE62}+/`));
  return `-----BEGIN ${kind}PRIVATE KEY-----\n${lines.join('\n')}\n${fakeChars(20, seed + 9, `${BASE62}+/`)}==\n-----END ${kind}PRIVATE KEY-----`;
}
