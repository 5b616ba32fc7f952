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
   * The pattern's source. It starts with the literal every match starts with (V8 then finds
   * candidates by that literal, as fast as `indexOf`, instead of trying the pattern at every
   * character), and checks what comes before the literal only once it is found (`bounded`).
   * Groups are named, unique across detectors: the scan runs every detector at once as one pattern.
   */
  readonly source: string;
  /** The named group that is the secret, when the pattern also matches its context (a variable name). */
  readonly secretGroup?: string;
  /**
   * For a detector whose match may be known only more than `RECOGNISED_WITHIN` bytes after it
   * starts (a JWT's signature comes after a header and payload of any length): what may still
   * become a match, from its literal to the end of the text (`$`), so that a stream holds it
   * from its start while it is open (`TextChannel`). Every prefix of a match that reaches the
   * end of the text must match it (it may take more: it only holds text, never redacts it
   * before `guardrails.streamHoldMax`); `chars` is a class holding every character it can span
   * (literal included), which lets the stream rule a candidate out by the text's last bytes alone.
   * The other detectors are recognised within `RECOGNISED_WITHIN` bytes of their start
   * (`detectors.test.ts` checks each), so the window, at least that, holds them. `literal` is
   * what every candidate starts with: looked for first, as `indexOf` would, in the few bytes a
   * scan would release, before the pattern is run.
   */
  readonly opening?: { source: string; chars: string; literal: string };
}

/**
 * The most bytes of a match of a detector without an `opening` that come before the detector
 * knows it (the longest: a PEM header and 64 characters of its body; a fine-grained GitHub token,
 * 93): the least `guardrails.streamWindow` may be.
 */
export const RECOGNISED_WITHIN = 128;

/**
 * The longest header part of a JWT, `eyJ` included. A JWT travels in an HTTP header, which
 * servers cap at about 8 KB a line (Apache's `LimitRequestFieldSize`, 8190 bytes; nginx's
 * `large_client_header_buffers`, 8 KB), so no accepted token's header part is longer (one carrying an
 * `x5c` certificate chain, the longest kind, runs to a few KB). The bound is what rules out base64 of
 * JSON (a data URL, a Kubernetes secret, a cursor: `{"` is `eyJ` too, and without `>`, `?` or `~`
 * in it standard base64 has no `+` or `/` to end the run) as a candidate a stream holds:
 * unbounded, 100 KB of it was held to `guardrails.streamHoldMax` and then redacted.
 */
export const JWT_HEADER_MAX = 8192;

/**
 * The literal alternatives, then a look back past them: not preceded by a letter, digit, `_` or
 * `-` (`=`, `/`, `+`, a space or a quote may come before: `KEY=…`, `https://…`), or preceded by a
 * JSON escape (`\n`, `\t`, `\r`: in the body's text a token at the start of a line follows `\n`;
 * `\u201c`: Python's json.dumps writes every non-ASCII character so, and a token after a curly
 * quote or CJK text follows a hex digit).
 */
function bounded(literals: string): string {
  return String.raw`(?:${literals})(?<=(?:^|[^A-Za-z0-9_-]|\\[bfnrt]|\\u[0-9A-Fa-f]{4})(?:${literals}))`;
}
/** Not followed by a token character. */
const END = String.raw`(?![A-Za-z0-9_+/=-])`;

/** A PEM body's characters: base64, header lines (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-128-CBC,…`), and line breaks as raw characters or as JSON escapes (doubled, `\\n`, when the block sits in a JSON string inside a JSON string, as in tool call arguments). */
const PEM_BODY = String.raw`(?:[A-Za-z0-9+/=:, \t\r\n-]|\\\\|\\[nrt])`;
/** One letter of a word in either case (`[Ss]`): the scan's pattern takes no `i` flag, which would apply to every detector. */
const anyCase = (word: string) => [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');

export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  // AWS's documented key id prefixes for long-term (AKIA) and temporary (ASIA) keys, and the rarer ABIA/ACCA; 16 base32 characters.
  'aws-access-key': { source: `${bounded('AKIA|ASIA|ABIA|ACCA')}[A-Z2-7]{16}${END}` },
  // 40 base64 characters are everywhere; only assigned to a name that says what they are are they an AWS secret (`aws_secret_access_key = …`, `"SecretAccessKey": "…"`, `AWS_SECRET_KEY=…`, any case; S3-compatible stores' secret keys have the same shape). Only the value is redacted.
  'aws-secret-key': {
    // It starts at "secret": what may come before (`aws_`) changes nothing, and a pattern that starts with an optional part is tried at every character. A tab around the `=` is `\t` in the body's text.
    source: String.raw`${anyCase('secret')}_?(?:${anyCase('access')}_?)?${anyCase('key')}(?:\\?["'])?(?:\s|\\t)*(?:=|:|=>|:=)(?:\s|\\t)*(?:\\?["'])?(?<awsSecret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
    secretGroup: 'awsSecret',
  },
  // The whole block, header to footer, of RSA, EC, DSA, OpenSSH, PKCS#8 and encrypted PKCS#8 keys; a block cut before its footer (a truncated paste) from its header to the end of its text.
  'private-key': {
    source: String.raw`-----BEGIN (?<pemKind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?)PRIVATE KEY-----(?:${PEM_BODY}*?-----END \k<pemKind>PRIVATE KEY-----|${PEM_BODY}{64,}(?![A-Za-z0-9+/=]))`,
  },
  // Classic tokens: ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_ (server-to-server), ghr_ (refresh), 36 characters; fine-grained ones github_pat_ and 82.
  'github-token': { source: `${bounded('gh[pousr]_|github_pat_')}(?:(?<=gh[pousr]_)[A-Za-z0-9]{36}|(?<=github_pat_)[A-Za-z0-9_]{82})${END}` },
  // OpenAI keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle; project keys (sk-proj-) are recognised by their prefix and length alone. A bare "sk-" is not enough.
  // The legacy shape's run before "T3BlbkFJ" has no bound: `sk-` and a run of its characters to the end of the text may still become one.
  'openai-key': {
    source: `${bounded('sk-')}(?:(?:proj|svcacct|admin)-)?(?:[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}|(?<=sk-proj-)[A-Za-z0-9_-]{40,})${END}`,
    opening: { source: `${bounded('sk-')}[A-Za-z0-9_-]*$`, chars: '[A-Za-z0-9_-]', literal: 'sk-' },
  },
  // API (api03), admin (admin01) and OAuth (oat01, ort01: Claude Code's subscription tokens) keys, about 95 characters after the prefix.
  'anthropic-key': { source: `${bounded('sk-ant-')}(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{80,120}${END}` },
  'google-api-key': { source: `${bounded('AIza')}[A-Za-z0-9_-]{35}${END}` },
  // Bot (xoxb), user (xoxp), app-level (xoxa), refresh (xoxr), legacy (xoxo, xoxs): digits, a dash, then the secret part.
  'slack-token': { source: `${bounded('xox[abposr]-')}[0-9]{6,13}-[A-Za-z0-9-]{10,}${END}` },
  // Live secret and restricted keys only: test keys (sk_test_) move no money and fill tutorials.
  'stripe-key': { source: `${bounded('sk_live_|rk_live_')}[A-Za-z0-9]{24,99}${END}` },
  // Three base64url parts, the first two JSON objects (`eyJ` is `{"`). Not in the `secrets` preset: agents meet JWTs in test fixtures and docs far more often than live ones, so it is opt-in.
  // Its payload has no bound (its header, `JWT_HEADER_MAX`), and it is known only once 16 characters of its signature follow them: until then, `eyJ` and what may follow it to the end of the text (a part, a dot, the next part's `eyJ` as far as it has come, and so on) may still become one.
  jwt: {
    source: String.raw`${bounded('eyJ')}[A-Za-z0-9_-]{8,${JWT_HEADER_MAX - 3}}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}${END}`,
    opening: { source: String.raw`${bounded('eyJ')}[A-Za-z0-9_-]{0,${JWT_HEADER_MAX - 3}}(?:\.(?:e(?:y(?:J[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?)?)?)?)?$`, chars: '[A-Za-z0-9_.-]', literal: 'eyJ' },
  },
  // This gateway's own keys (`lib/access/api-key.ts`): sk-gw- and 32 random bytes in base64url (43 characters).
  'gateway-key': { source: `${bounded('sk-gw-')}[A-Za-z0-9_-]{43}${END}` },
};
