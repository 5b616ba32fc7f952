/**
 * Real Claude Code requests (and, for some, Anthropic's real streamed answers), kept in
 * `test/fixtures/claude-code` (copied from the team's shared fixtures, provenance in its README),
 * plus the small SSE readers the tests check answers with.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The one place that knows where the captures live. */
export const FIXTURES_DIR = path.join(__dirname, '../../fixtures/claude-code');

export type FixtureName = 'cc-1.0.6-first-turn' | 'cc-1.0.6-tool-loop' | 'cc-1.0.6-haiku-title' | 'cc-0.2.107-tool-loop';

export const FIXTURE_NAMES: readonly FixtureName[] = ['cc-1.0.6-first-turn', 'cc-1.0.6-tool-loop', 'cc-1.0.6-haiku-title', 'cc-0.2.107-tool-loop'];

export type Block = Record<string, unknown> & { type: string };

export interface FixtureBody extends Record<string, unknown> {
  model: string;
  max_tokens: number;
  system: (Block & { text: string })[];
  messages: { role: 'user' | 'assistant'; content: string | Block[] }[];
  tools?: { name: string; description: string; input_schema: Record<string, unknown> }[];
  metadata: { user_id: string };
  stream: boolean;
}

export interface ClaudeCodeFixture {
  name: FixtureName;
  request: { method: string; path: string; headers: Record<string, string>; body: FixtureBody };
  response?: { status: number; content_type: string; sse: string };
}

const cache = new Map<FixtureName, string>();

/** A fresh copy of a capture each call, so a test that changes its body cannot affect another. */
export function loadFixture(name: FixtureName): ClaudeCodeFixture {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(FIXTURES_DIR, `${name}.json`), 'utf8');
    cache.set(name, text);
  }
  return { name, ...(JSON.parse(text) as Omit<ClaudeCodeFixture, 'name'>) };
}

/** Anthropic's streamed answer recorded with a capture (the captures that have one). */
export function capturedSse(name: FixtureName): string {
  const { response } = loadFixture(name);
  if (!response) throw new Error(`the capture ${name} has no recorded answer`);
  return response.sse;
}

/**
 * The recorded headers as `fetch` can send them, with the gateway key in place of the redacted
 * credential. `host`, `connection` and `content-length` belong to the transport (fetch sets them
 * itself, and refuses a `connection` header).
 */
export function replayHeaders(fixture: ClaudeCodeFixture, auth: 'bearer' | 'x-api-key', key: string): Record<string, string> {
  const { host: _host, connection: _connection, 'content-length': _length, authorization: _auth, ...rest } = fixture.request.headers;
  return auth === 'bearer' ? { ...rest, authorization: `Bearer ${key}` } : { ...rest, 'x-api-key': key };
}

export interface SseEvent {
  /** The `event:` line, or undefined when the event had none. */
  event: string | undefined;
  data: Record<string, unknown>;
}

/** Splits SSE text into events (Anthropic frames every event with `event:` and one `data:` line). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const lines = chunk.split(/\r?\n/);
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5))
        .join('\n');
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

/**
 * The message a recorded Anthropic stream describes, assembled by the documented rules
 * (blocks by index, text and partial JSON concatenated, `message_delta` completing the message),
 * independently of the SDK whose result it is compared with.
 */
export function assembleMessage(sse: string): Record<string, unknown> {
  let message: Record<string, unknown> = {};
  const blocks: Record<string, unknown>[] = [];
  const json: string[] = [];
  for (const { data } of parseSse(sse)) {
    const index = data.index as number;
    const delta = data.delta as Record<string, unknown> | undefined;
    switch (data.type) {
      case 'message_start':
        message = { ...(data.message as Record<string, unknown>) };
        break;
      case 'content_block_start':
        blocks[index] = { ...(data.content_block as Record<string, unknown>) };
        json[index] = '';
        break;
      case 'content_block_delta':
        if (delta?.type === 'text_delta') blocks[index]!.text = String(blocks[index]!.text) + String(delta.text);
        if (delta?.type === 'input_json_delta') json[index] += String(delta.partial_json);
        if (delta?.type === 'thinking_delta') blocks[index]!.thinking = String(blocks[index]!.thinking) + String(delta.thinking);
        if (delta?.type === 'signature_delta') blocks[index]!.signature = delta.signature;
        break;
      case 'content_block_stop':
        if (blocks[index]!.type === 'tool_use') blocks[index]!.input = json[index] ? (JSON.parse(json[index]) as unknown) : {};
        break;
      case 'message_delta':
        message = { ...message, ...delta, usage: { ...(message.usage as object), ...(data.usage as object) } };
        break;
    }
  }
  return { ...message, content: blocks };
}

/** Anthropic's uncached + cache-read + cache-write input tokens of a recorded stream, and its output tokens. */
export function recordedUsage(sse: string): { input: number; cacheRead: number; cacheWrite: number; output: number } {
  const usage = assembleMessage(sse).usage as Record<string, number>;
  return { input: usage.input_tokens!, cacheRead: usage.cache_read_input_tokens!, cacheWrite: usage.cache_creation_input_tokens!, output: usage.output_tokens! };
}
