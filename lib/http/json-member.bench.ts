/**
 * What asking usage for a stream costs its body before it can leave: an agent's 74 KB Chat
 * Completions body (the Claude Code capture's history and tools, in OpenAI's shape) and a small
 * one, serialised again with `stream_options` (as before) and with the member added to the
 * client's bytes (`withLastMember`, now).
 *
 *   npx tsx lib/http/json-member.bench.ts
 */
import { claudeCodeBody } from '../../bench/load';
import { medianNsPerCall } from '../../bench/measure';
import { withLastMember } from './json-member';

type Tool = { name: string; description?: string; input_schema: unknown };
const capture = JSON.parse(claudeCodeBody('gpt-4o-mini')) as { system?: unknown; messages: { role: string; content: unknown }[]; tools?: Tool[] };
const agent = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'system', content: JSON.stringify(capture.system ?? '') }, ...capture.messages.map((m) => ({ role: m.role, content: JSON.stringify(m.content) }))],
  tools: (capture.tools ?? []).map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description ?? '', parameters: tool.input_schema } })),
  stream: true,
};
const small = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }], stream: true };
const USAGE = '"stream_options":{"include_usage":true}';

for (const [name, body, n] of [
  ['agent', agent, 200],
  ['small', small, 20_000],
] as const) {
  const raw = Buffer.from(JSON.stringify(body));
  const serialised = medianNsPerCall(() => JSON.stringify({ ...body, stream_options: { include_usage: true } }), n) / 1000;
  const added = medianNsPerCall(() => withLastMember(raw, USAGE), n) / 1000;
  process.stdout.write(`${name} (${raw.length} bytes): serialised again ${serialised.toFixed(2)} µs, member added ${added.toFixed(2)} µs\n`);
}
