/**
 * What screening costs on bodies as large as coding agents send: Claude Code's captured requests
 * (4–117 KB), with no rules (the pipeline then skips the step), the `secrets` preset, the preset
 * and `jwt`, a user pattern (no literal to look for first, so it always runs), and a secret
 * planted in a tool result (the redaction path: match, locate, rewrite). Beside them, for scale,
 * the preset's patterns run one after another rather than as one.
 *
 *   npx tsx lib/guardrails/scan.bench.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuardrailsSchema } from './config';
import { DETECTORS, SECRETS_PRESET } from './detectors';
import { FAKE } from './fake-tokens';
import { Guardrails } from './scan';
import { medianNsPerCall } from '../../bench/measure';

const measure = (fn: () => unknown, n = 500) => medianNsPerCall(fn, n);

const guardrails = (rules: unknown[]) => Guardrails.from(GuardrailsSchema.parse({ rules }));
const off = guardrails([]);
const secrets = guardrails([{ detect: 'secrets', action: 'redact' }])!;
const secretsAndJwt = guardrails([{ detect: 'secrets', action: 'redact' }, { detect: 'jwt', action: 'flag' }])!;
const userPattern = guardrails([{ id: 'codename', detect: { regex: 'project[-_ ]falcon', flags: 'i' }, action: 'block' }])!;
const patterns = SECRETS_PRESET.map((name) => new RegExp(DETECTORS[name].source, 'g'));

/** The same patterns one after another instead of as one: what running them together saves. */
function oneByOne(raw: Buffer): number {
  const text = raw.toString('latin1');
  let found = 0;
  for (const p of patterns) {
    p.lastIndex = 0;
    while (p.exec(text)) found++;
  }
  return found;
}

const dir = join(__dirname, '../../test/fixtures/claude-code');
const names = ['cc-1.0.6-haiku-title', 'cc-1.0.6-first-turn', 'cc-1.0.6-tool-loop', 'cc-0.2.107-tool-loop'];

console.log('| body | KB | no rules (µs) | secrets (µs) | secrets + jwt (µs) | one user pattern (µs) | secrets, one key planted (µs) | the preset\'s patterns one by one (µs) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const name of names) {
  const body = (JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { request: { body: { messages: { content: unknown }[] } } }).request.body;
  const raw = Buffer.from(JSON.stringify(body));
  const planted = structuredClone(body);
  planted.messages.push({ content: `AWS_ACCESS_KEY_ID=${FAKE.awsKeyId}` });
  const plantedRaw = Buffer.from(JSON.stringify(planted));
  if (secrets.screen(raw) || !secrets.screen(plantedRaw)) throw new Error(`${name}: a capture should hold no secret, the planted one should`);
  const us = (ns: number) => (ns / 1000).toFixed(1);
  console.log(
    `| ${name} | ${(raw.length / 1024).toFixed(0)} | ${us(measure(() => off?.screen(raw)))} | ${us(measure(() => secrets.screen(raw)))} | ${us(measure(() => secretsAndJwt.screen(raw)))} | ${us(measure(() => userPattern.screen(raw), 200))} | ${us(measure(() => secrets.screen(plantedRaw), 200))} | ${us(measure(() => oneByOne(raw), 200))} |`,
  );
}
