/**
 * What guardrails on answers cost per KB of answer: a whole answer (one pass over its JSON), and
 * a stream of small deltas as models send them (about 4 characters of text per event, 100–200
 * bytes of SSE each), with the `secrets` preset flagging (nothing held) and redacting (the
 * window held, every event parsed), against the same stream relayed untouched.
 *
 *   npx tsx lib/guardrails/answer-stream.bench.ts
 */
import { STREAMS } from '../../test/answer-streams';
import { answerGuardOf } from '../pipeline/answer-guard';
import { newContext } from '../pipeline/context';
import type { AnswerDialect } from './answer-dialects';
import { answerPaths } from './answer-dialects';
import { AnswerStreamScreen } from './answer-stream';
import { GuardrailsSchema } from './config';
import { FAKE } from './fake-tokens';
import { Guardrails } from './scan';
import { medianNsPerCall } from '../../bench/measure';

const measure = (fn: () => unknown, n = 50) => medianNsPerCall(fn, n);

const rules = (action: 'flag' | 'redact') => Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'secrets', action }] }), 'response')!;
const flag = rules('flag');
const redact = rules('redact');

/** Prose and code of `kb` KB, a key planted in the middle when asked. */
function answerText(kb: number, planted: boolean): string {
  const line = 'The function reads the config file, checks each field and returns a typed object; see `load()` below.\n';
  let text = line.repeat(Math.ceil((kb * 1024) / line.length)).slice(0, kb * 1024);
  if (planted) text = `${text.slice(0, text.length / 2)} ${FAKE.awsKeyId} ${text.slice(text.length / 2)}`;
  return text;
}

/** The answer as SSE events of about 4 characters each, in chunks of about 1 KB as they come off a socket. */
function streamOf(dialect: AnswerDialect, text: string): Buffer[] {
  const shape = STREAMS[dialect];
  const pieces = text.match(/[^]{1,4}/g)!;
  const bytes = Buffer.from([...shape.start, ...pieces.map(shape.piece), ...shape.end].join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 1024) chunks.push(bytes.subarray(at, at + 1024));
  return chunks;
}

function relay(chunks: Buffer[], screen?: AnswerStreamScreen): number {
  let sent = 0;
  for (const chunk of chunks) sent += screen ? screen.push(chunk).length : chunk.length;
  return sent + (screen ? screen.end().length : 0);
}

console.log('| answer | text KB | whole answer, redact (µs/KB) | stream relayed, no rules (µs/KB) | stream, flag (µs/KB) | stream, redact (µs/KB) |');
console.log('|---|---|---|---|---|---|');
for (const dialect of ['openai', 'anthropic'] as AnswerDialect[]) {
  for (const [kb, planted] of [[2, false], [16, false], [16, true]] as const) {
    const text = answerText(kb, planted);
    const whole = Buffer.from(JSON.stringify({ id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: text } }], content: [{ type: 'text', text }] }));
    const chunks = streamOf(dialect, text);
    const perKb = (ns: number) => (ns / 1000 / kb).toFixed(1);
    const paths = answerPaths(dialect);
    console.log(
      `| ${dialect}${planted ? ', a key planted' : ''} | ${kb} | ${perKb(measure(() => redact.screenAnswer(whole, paths)))} | ${perKb(measure(() => relay(chunks)))} | ${perKb(measure(() => relay(chunks, new AnswerStreamScreen(flag, { dialect, hold: false, window: 512 }))))} | ${perKb(measure(() => relay(chunks, new AnswerStreamScreen(redact, { dialect, hold: true, window: 512 }))))} |`,
    );
  }
}

// A match still growing at the end of the text (a PEM header, then base64 in 4-character deltas, each event its own chunk): held up to 64 KB (`streamHoldMax`) and scanned again only as it grows by an eighth, so the cost per KB stays flat as the key grows (scanned on every delta it was 0.5 s at 16 KB and 7.7 s at 64 KB).
console.log('\n| growing match | text KB | stream, redact (µs/KB) |');
console.log('|---|---|---|');
for (const kb of [16, 64]) {
  const text = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEAx9Yk3'.repeat(Math.ceil((kb * 1024) / 21)).slice(0, kb * 1024)}`;
  const shape = STREAMS.openai;
  const events = [...shape.start, ...text.match(/[^]{1,4}/g)!.map(shape.piece), ...shape.end].map((e) => Buffer.from(e));
  console.log(`| PEM before its footer | ${kb} | ${(measure(() => relay(events, new AnswerStreamScreen(redact, { dialect: 'openai', hold: true, window: 512 })), 3) / 1000 / kb).toFixed(1)} |`);
}
// A candidate (a JWT's payload before its signature, not a match yet): held from its start the same way, with its opening checked on each scan.
const jwtRedact = Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'secrets', action: 'redact' }, { detect: 'jwt', action: 'redact' }] }), 'response')!;
for (const kb of [16, 64]) {
  const text = `${FAKE.jwt.split('.')[0]}.eyJ${'MIIEowIBAAKCAQEAx9Yk3'.repeat(Math.ceil((kb * 1024) / 21)).slice(0, kb * 1024 - 64)}.${'s'.repeat(43)}`;
  const shape = STREAMS.openai;
  const events = [...shape.start, ...text.match(/[^]{1,4}/g)!.map(shape.piece), ...shape.end].map((e) => Buffer.from(e));
  console.log(`| JWT before its signature | ${kb} | ${(measure(() => relay(events, new AnswerStreamScreen(jwtRedact, { dialect: 'openai', hold: true, window: 512 })), 3) / 1000 / kb).toFixed(1)} |`);
}

// Off: what every answer of a gateway without rules on answers (or of an exempt key) pays, once per answer.
const unmarked = newContext('r', 'openai', new Date());
const offNs = measure(() => answerGuardOf(unmarked, {}), 100_000);
console.log(`\nno rules on answers: ${offNs.toFixed(1)} ns per answer (one property read), whole or streamed`);
