/**
 * The built-in detectors: one tight pattern per kind of credential that coding agents paste into
 * prompts (`.env` files, config, shell history). Each pattern is written from the token's
 * published shape (the vendor's format, as gitleaks, detect-secrets and GitHub secret scanning
 * describe it) and bounded on both sides, so a token inside a longer run of base64 (image data,
 * thinking signatures, hashes) does not match.
 *
 * Patterns run on the body's JSON text, not on decoded strings: a newline there is the two
 * characters `\n`, so the left bound also accepts a token right after an escape (`\nAKIA…`), and
 * a PEM block's line breaks are escapes. No character class of a token takes a quote or a
 * backslash, so a match never leaves its JSON string (the PEM body takes whole escapes only).
 */

/** The names of the built-in detectors. */
export const DETECTOR_NAMES = [
  'aws-access-key',
  'aws-secret-key',
  'private-key',
  'github-token',
  'openai-key',
  'anthropic-key',
  'google-api-key',
  'slack-token',
  'stripe-key',
  'jwt',
  'gateway-key',
] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** The built-ins the `secrets` preset stands for: all but `jwt` (see `DETECTORS.jwt`). */
export const SECRETS_PRESET: readonly DetectorName[] = DETECTOR_NAMES.filter((name) => name !== 'jwt');

export interface Detector {
  /**
   * Literal strings one of which every match contains: the body is searched for them first
   * (`Buffer.indexOf`, no regex), and the pattern runs only when one is there.
   */
  readonly prefilter: readonly string[];
  /** The pattern (run with the `g` and `d` flags). */
  readonly pattern: RegExp;
  /** The capture group that is the secret, when the pattern also matches its context (a variable name). */
  readonly secretGroup?: number;
}

/**
 * Not preceded by a letter, digit, `_` or `-`, or preceded by a JSON escape (`\n`, `\t`, `\r`).
 * `=`, `/` and `+` may come before (`KEY=…`, `https://…`); the end is stricter.
 */
const START = String.raw`(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))`;
/** Not followed by a token character. */
const END = String.raw`(?![A-Za-z0-9_+/=-])`;

const re = (source: string, flags = '') => new RegExp(source, `gd${flags}`);

/** A PEM body's characters: base64, header lines (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-128-CBC,…`), and line breaks as raw characters or as JSON escapes (doubled when the block sits in a JSON string inside a JSON string, as in tool call arguments). */
const PEM_BODY = String.raw`(?:[A-Za-z0-9+/=:, \t\r\n-]|\\\\|\\[nrt])`;
const PEM_KIND = '((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?)';

export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  // AWS's documented key id prefixes for long-term (AKIA) and temporary (ASIA) keys, and the rarer ABIA/ACCA; 16 base32 characters.
  'aws-access-key': { prefilter: ['AKIA', 'ASIA', 'ABIA', 'ACCA'], pattern: re(`${START}(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}${END}`) },
  // 40 base64 characters are everywhere; only in an assignment to a name that says what it is are they an AWS secret (`aws_secret_access_key = …`, `"SecretAccessKey": "…"`, `AWS_SECRET_KEY=…`). Only the value is redacted.
  'aws-secret-key': {
    prefilter: ['ecret_access_key', 'ECRET_ACCESS_KEY', 'ecretAccessKey', 'ECRETACCESSKEY', 'ws_secret_key', 'WS_SECRET_KEY'],
    pattern: re(String.raw`(?:secret_?access_?key|aws_?secret_?key)(?:\\?["'])?\s*(?:=|:|=>|:=)\s*(?:\\?["'])?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, 'i'),
    secretGroup: 1,
  },
  // The whole block, header to footer, of RSA, EC, DSA, OpenSSH, PKCS#8 and encrypted PKCS#8 keys; a block cut before its footer (a truncated paste) from its header to the end of its text.
  'private-key': {
    prefilter: ['PRIVATE KEY-----'],
    pattern: re(String.raw`-----BEGIN ${PEM_KIND}PRIVATE KEY-----(?:${PEM_BODY}*?-----END \1PRIVATE KEY-----|${PEM_BODY}{64,}(?![A-Za-z0-9+/=]))`),
  },
  // Classic tokens: ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_ (server-to-server), ghr_ (refresh), 36 characters; fine-grained ones github_pat_ and 82.
  'github-token': { prefilter: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], pattern: re(`${START}(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})${END}`) },
  // OpenAI keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle; project keys (sk-proj-) are recognised by their prefix and length alone. A bare "sk-" is not enough.
  'openai-key': {
    prefilter: ['T3BlbkFJ', 'sk-proj-'],
    pattern: re(`${START}sk-(?:(?:proj|svcacct|admin)-)?(?:[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}|(?<=sk-proj-)[A-Za-z0-9_-]{40,})${END}`),
  },
  // API (api03), admin (admin01) and OAuth (oat01, ort01: Claude Code's subscription tokens) keys, about 95 characters after the prefix.
  'anthropic-key': { prefilter: ['sk-ant-'], pattern: re(`${START}sk-ant-(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{80,120}${END}`) },
  'google-api-key': { prefilter: ['AIza'], pattern: re(`${START}AIza[A-Za-z0-9_-]{35}${END}`) },
  // Bot (xoxb), user (xoxp), app-level (xoxa), refresh (xoxr), legacy (xoxo, xoxs): digits, a dash, then the secret part.
  'slack-token': { prefilter: ['xox'], pattern: re(`${START}xox[abposr]-[0-9]{6,13}-[A-Za-z0-9-]{10,}${END}`) },
  // Live secret and restricted keys only: test keys (sk_test_) move no money and fill tutorials.
  'stripe-key': { prefilter: ['_live_'], pattern: re(`${START}(?:sk|rk)_live_[A-Za-z0-9]{24,99}${END}`) },
  // Three base64url parts, the first two JSON objects (`eyJ` is `{"`). Not in the `secrets` preset: agents meet JWTs in test fixtures and docs far more often than live ones, so it is opt-in.
  jwt: { prefilter: ['eyJ'], pattern: re(`${START}eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}${END}`) },
  // This gateway's own keys (`lib/access/api-key.ts`): sk-gw- and 32 random bytes in base64url (43 characters).
  'gateway-key': { prefilter: ['sk-gw-'], pattern: re(`${START}sk-gw-[A-Za-z0-9_-]{43}${END}`) },
};
