import { STREAMS, sseEvents } from '../../test/answer-streams';
import { fuzzer } from '../../test/fuzz';
import type { AnswerDialect } from './answer-dialects';
import { AnswerBlocked, AnswerStreamScreen } from './answer-stream';
import { GuardrailsSchema } from './config';
import { FAKE, fakeChars, fakePem } from './fake-tokens';
import { Guardrails } from './scan';

/** A 4096-bit key's length of PEM (about 3 KB): held far past any window, so its text is scanned again only as it grows by an eighth. */
const LONG_PEM = `-----BEGIN PRIVATE KEY-----\n${Array.from({ length: 50 }, (_, i) => fakeChars(64, 100 + i, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')).join('\n')}\n-----END PRIVATE KEY-----`;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
/** Matches known only past any window of the fuzz (its windows run to 728 bytes): held from their start as candidates. */
const LONG_JWT = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${fakeChars(700, 200, BASE64URL)}.${fakeChars(200, 201, BASE64URL)}`;
const LONG_OPENAI = `sk-${fakeChars(800, 202)}T3BlbkFJ${fakeChars(20, 203)}`;
const TOKENS = [LONG_JWT, LONG_OPENAI, FAKE.jwt, FAKE.awsKeyId, FAKE.githubClassic, FAKE.githubFineGrained, FAKE.openaiProject, FAKE.anthropic, FAKE.google, FAKE.slackBot, FAKE.stripeLive, FAKE.gatewayKey, fakePem('RSA '), fakePem('OPENSSH '), LONG_PEM];
const NOISE = ['', ' ', `eyJ${fakeChars(900, 204, BASE64URL)}`, `${LONG_JWT.slice(0, 500)}.`, `sk-${fakeChars(760, 205)}`, 'TICKET-20481', 'a"b', 'back\\slash', '\u0000\u001f', 'line\nbreak\n', '日本語', 'é👋', 'AKIA in prose', 'sk-', 'ghp_short', '-----BEGIN', '\\n', 'word '];
/** The preset, and a pattern of the operator's (whose match is settled only a window after its start). */
const rules = (action: 'flag' | 'redact' | 'block') =>
  Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'secrets', action }, { detect: 'jwt', action }, { id: 'ticket', detect: { regex: 'TICKET-[0-9]{4,8}' }, action }] }), 'response')!;

/** The whole text as the non-streamed path screens it: the reference a stream must match. */
function screenedWhole(guardrails: Guardrails, text: string): { text: string; hits: number; blocked: boolean } {
  const raw = Buffer.from(JSON.stringify({ text }));
  const screened = guardrails.screen(raw);
  if (!screened) return { text, hits: 0, blocked: false };
  return { text: (JSON.parse(Buffer.from(screened.body).toString()) as { text: string }).text, hits: screened.hits.reduce((n, h) => n + h.count, 0), blocked: screened.blocked !== undefined };
}

/** A fuzzed answer: noise and planted tokens, cut into pieces anywhere (a piece may end inside a token), then into events, then the bytes into chunks anywhere (inside an event, a UTF-8 character, a line ending). */
function fuzzedStreams(seed: number, count: number) {
  const { random, pick } = fuzzer(seed, { names: [], scalars: [] });
  return Array.from({ length: count }, () => {
    const dialect = pick(Object.keys(STREAMS) as AnswerDialect[]);
    const parts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => (random() < 0.3 ? pick(TOKENS) : pick(NOISE).repeat(1 + Math.floor(random() * 20))));
    const text = parts.join(random() < 0.5 ? '' : pick([' ', '\n', '"', '=', 'x']));
    const pieces: string[] = [];
    for (let at = 0; at < text.length; ) {
      let size = 1 + Math.floor(random() * 40);
      // Never half a surrogate pair: a model's delta is whole characters.
      if (/[\uD800-\uDBFF]/.test(text[at + size - 1] ?? '')) size++;
      pieces.push(text.slice(at, at + size));
      at += size;
    }
    const shape = STREAMS[dialect];
    const bytes = Buffer.from([...shape.start, ...pieces.map(shape.piece), ...shape.end].join(''));
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * 300);
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    return { dialect, text, chunks, bytes, window: 128 + Math.floor(random() * 600) };
  });
}

function run(screen: AnswerStreamScreen, chunks: Buffer[]): { sent: string; blocked: boolean } {
  const out: Buffer[] = [];
  try {
    for (const chunk of chunks) out.push(Buffer.from(screen.push(chunk)));
    out.push(Buffer.from(screen.end()));
  } catch (err) {
    if (!(err instanceof AnswerBlocked)) throw err;
    return { sent: Buffer.concat(out).toString(), blocked: true };
  }
  return { sent: Buffer.concat(out).toString(), blocked: false };
}

describe('screening streamed answers cut anywhere (fuzz)', () => {
  const streams = fuzzedStreams(97, 400);

  it('redacts exactly what screening the whole text redacts, with valid events and no token left, whatever the cuts', () => {
    const guardrails = rules('redact');
    let redacted = 0;
    for (const { dialect, text, chunks, window } of streams) {
      const screen = new AnswerStreamScreen(guardrails, { dialect, hold: true, window });
      const { sent } = run(screen, chunks);
      const expected = screenedWhole(guardrails, text);
      expect(STREAMS[dialect].text(sseEvents(sent))).toBe(expected.text);
      expect(screen.hits.reduce((n, h) => n + h.count, 0)).toBe(expected.hits);
      if (expected.hits) redacted++;
    }
    // The fuzz planted enough to mean something.
    expect(redacted).toBeGreaterThan(100);
  });

  it('blocks every stream the whole text would block, before any token leaves, and no other', () => {
    const guardrails = rules('block');
    for (const { dialect, text, chunks, window } of streams) {
      const screen = new AnswerStreamScreen(guardrails, { dialect, hold: true, window });
      const { sent, blocked } = run(screen, chunks);
      expect(blocked).toBe(screenedWhole(guardrails, text).blocked);
      // What went is the text up to the first match at most: not one byte of the match.
      const first = guardrails.matchesInString(Buffer.from(JSON.stringify(text).slice(1, -1)))[0];
      const went = STREAMS[dialect].text(sseEvents(sent));
      expect(text.startsWith(went)).toBe(true);
      if (first) expect(Buffer.byteLength(JSON.stringify(went).slice(1, -1))).toBeLessThanOrEqual(first.start);
    }
  });

  it("rewrites Gemini's JSON array into a valid array with the same text as the whole text's screening, whatever the cuts", () => {
    const guardrails = rules('redact');
    const { random } = fuzzer(5, { names: [], scalars: [] });
    for (const { text } of streams.slice(0, 150)) {
      // The same pieces as array elements, pretty-printed as Google writes them, cut anywhere.
      const pieces = text.match(/[^]{1,23}/gu) ?? [];
      const array = `[${pieces.map((t) => JSON.stringify({ candidates: [{ index: 0, content: { role: 'model', parts: [{ text: t }] } }] }, null, 2)).join('\n,\r\n')}\n]`;
      const bytes = Buffer.from(array);
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 200);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const screen = new AnswerStreamScreen(guardrails, { dialect: 'gemini', hold: true, window: 256, jsonArray: true });
      const { sent } = run(screen, chunks);
      const elements = JSON.parse(sent) as { candidates: { content: { parts: { text: string }[] } }[] }[];
      expect(elements.map((e) => e.candidates[0]!.content.parts[0]!.text).join('')).toBe(screenedWhole(guardrails, text).text);
    }
  });

  it('flags without changing a byte, counting each match once', () => {
    const guardrails = rules('flag');
    for (const { dialect, text, chunks, bytes } of streams) {
      const screen = new AnswerStreamScreen(guardrails, { dialect, hold: false, window: 512 });
      const { sent } = run(screen, chunks);
      expect(sent).toBe(bytes.toString());
      expect(screen.hits.reduce((n, h) => n + h.count, 0)).toBe(screenedWhole(guardrails, text).hits);
    }
  });
});
