import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { AssistantContentPart, decodeChatRequest, isPlainTextPart, plainTranslatedFields, TextContentPart, TranslatedFields, UserContentPart } from './decode';

/**
 * The hand checks of decode.ts (and request.ts' `plainlyValid`) against zod alone, over valid agent
 * bodies mutated at random: a check must never accept what its schema refuses, and what it accepts
 * must decode to the very values the schema gives (`isDeepStrictEqual` tells -0 from 0).
 */

/** decode.ts and request.ts with every hand check saying no, so zod reads everything: the reference. */
function zodOnlyDecoder(): typeof decodeChatRequest {
  let decode: typeof decodeChatRequest | undefined;
  jest.isolateModules(() => {
    jest.doMock('../../http/json-checks', () => ({
      ...jest.requireActual('../../http/json-checks'),
      isObject: () => false,
      isName: () => false,
      nullishOr: () => false,
    }));
    decode = (jest.requireActual('./decode') as typeof import('./decode')).decodeChatRequest;
  });
  jest.dontMock('../../http/json-checks');
  return decode!;
}

/** mulberry32: seeded, so a failure replays with the seed the test prints. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid agent body: system parts, a tool call and its result, tools, the translated fields. */
function agentBody(): Record<string, unknown> {
  return {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Cached.', cache_control: { type: 'ephemeral' } }] },
      { role: 'developer', content: 'Use tools.' },
      { role: 'user', content: [{ type: 'text', text: 'Read /a' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }, { type: 'refusal', refusal: 'No.' }], tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read', arguments: '{"p":"/a"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'file' }] },
      { role: 'user', content: 'Thanks' },
    ],
    tools: [
      { type: 'function', function: { name: 'read', description: 'Reads', parameters: { type: 'object' }, strict: true } },
      { type: 'function', function: { name: 'write', parameters: { type: 'object' } } },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    seed: 7,
    reasoning_effort: 'low',
    safety_identifier: 'u-1',
    max_completion_tokens: 100,
    temperature: 0.5,
    stream: false,
  };
}

const VALUES: unknown[] = [
  null, undefined, NaN, Infinity, -Infinity, -0, 0, 1, -1, 1.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e21, 1e308, 5e-324,
  '', 'x', 'text', 'ephemeral', 'function', 'low', 'xhigh', 'none', 'é🙂', '\ud800', '\u0000', 'a'.repeat(10_000),
  true, false, [], [null], [{}], {}, { type: 'text' }, { type: 'text', text: 'x' }, { type: 'ephemeral' }, { type: 'forever' },
  { strict: true }, { strict: 'yes' }, JSON.parse('{"__proto__":{"type":"ephemeral"}}'), JSON.parse('{"type":"text","text":"t","__proto__":{"cache_control":1}}'),
];
/** The keys the hand checks read. */
const READ = ['parallel_tool_calls', 'seed', 'reasoning_effort', 'safety_identifier', 'response_format', 'tools', 'function', 'strict', 'cache_control', 'type', 'text'];
const KEYS = ['type', 'text', 'cache_control', 'strict', 'function', 'seed', 'tools', 'content', 'role', 'refusal', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ttl', 'x', ''];

/** Every object and array inside `v`, with `v` itself. */
function containers(v: unknown, into: object[] = []): object[] {
  if (typeof v !== 'object' || v === null) return into;
  into.push(v);
  for (const child of Object.values(v)) containers(child, into);
  return into;
}

/** One to four random edits: a value swapped, a key added (`__proto__` as an own key, as JSON.parse makes it) or removed, an object for an array or the reverse. */
function mutate(body: Record<string, unknown>, random: () => number): void {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
    const all = containers(body);
    // Half the edits land where the hand checks read (the body, a tool, its function, a part), with a key they read.
    const near = all.filter((c) => c === body || (!Array.isArray(c) && ('function' in c || 'strict' in c || 'text' in c)));
    const target = pick(random() < 0.5 && near.length ? near : all) as Record<string, unknown>;
    const keys = random() < 0.5 && !Array.isArray(target) ? [...READ] : Object.keys(target);
    const r = random();
    const value = structuredCloneOrSelf(pick(VALUES));
    if (r < 0.55 && keys.length) target[pick(keys)] = value;
    // A key only on an object: JSON gives an array no named keys (one named `constructor` breaks Array#map anywhere).
    else if (r < 0.75 && !Array.isArray(target)) Object.defineProperty(target, pick(KEYS), { value, enumerable: true, writable: true, configurable: true });
    else if (r < 0.85 && keys.length) {
      // Out of an array by splice: JSON gives no array with holes.
      if (Array.isArray(target)) target.splice(Math.floor(random() * target.length), 1);
      else delete target[pick(keys)];
    } else if (keys.length) {
      const key = pick(keys);
      const old = target[key];
      target[key] = Array.isArray(old) ? Object.assign({}, old) : typeof old === 'object' && old !== null ? [old] : old;
    }
  }
}

/** A fresh copy of an object value, so one edit does not show through another body. */
function structuredCloneOrSelf(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  return JSON.parse(JSON.stringify(v));
}

type Outcome = { decoded: ChatRequest } | { refused: { status: number; param: string | undefined; message: string } };

function outcome(decode: typeof decodeChatRequest, body: Record<string, unknown>): Outcome {
  try {
    return { decoded: decode(body) };
  } catch (err) {
    // The reference's GatewayError is its own module copy's class (jest.isolateModules), so not `instanceof`.
    if (!(err instanceof Error) || err.name !== GatewayError.name) throw err;
    const { status, param } = err as GatewayError;
    return { refused: { status, param, message: err.message } };
  }
}

type TranslatedExtra = z.infer<typeof TranslatedFields>;

describe('the hand checks of a translated Chat Completions body, against zod alone (fuzz)', () => {
  const SEED = 20261127;
  const ROUNDS = 4000;
  const bodies = (() => {
    const random = seeded(SEED);
    return Array.from({ length: ROUNDS }, (_, i) => {
      const body = agentBody();
      if (i % 10 !== 0) mutate(body, random);
      return body;
    });
  })();

  it('decodes every mutated body as a decoder with zod alone does, to the same values or the same 400', () => {
    // Prepare
    const reference = zodOnlyDecoder();

    // Act
    const outcomes = bodies.map((body) => [outcome(decodeChatRequest, body), outcome(reference, body)] as const);

    // Assess
    const differing = outcomes.flatMap(([quick, slow], round) => (isDeepStrictEqual(withoutProtoKeys(quick), withoutProtoKeys(slow)) ? [] : [{ seed: SEED, round, body: bodies[round], quick, slow }]));
    expect(differing.slice(0, 3)).toEqual([]);
    const decoded = outcomes.filter(([quick]) => 'decoded' in quick).length;
    expect(decoded).toBeGreaterThan(ROUNDS / 10);
    expect(decoded).toBeLessThan(ROUNDS);
  });

  it('never passes translated fields the schema refuses, and reads them as the schema gives them', () => {
    // Prepare: what decodeChatRequest reads of them (zod drops keys it never reads, `__proto__` among them).
    const read = (x: TranslatedExtra) => [
      x.parallel_tool_calls, x.seed, x.reasoning_effort, x.safety_identifier, x.response_format,
      x.tools?.map((t) => [t.function.strict, t.cache_control]),
    ];

    // Act
    const passed = bodies.filter((body) => plainTranslatedFields(body));
    const wrong = passed.flatMap((body) => {
      const schema = TranslatedFields.safeParse(body);
      return schema.success && isDeepStrictEqual(read(body as TranslatedExtra), read(schema.data)) ? [] : [{ body, schema }];
    });

    // Assess
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(passed.length).toBeGreaterThan(ROUNDS / 10);
  });

  it('never passes a part a content schema refuses, and reads its text as each schema does', () => {
    // Act
    const passed = bodies.flatMap((b) => containers(b)).filter(isPlainTextPart);
    const wrong = passed.flatMap((part) =>
      [TextContentPart, UserContentPart, AssistantContentPart].flatMap((schema) => {
        const parsed = schema.safeParse(part);
        const data = parsed.data as { type: string; text: string; cache_control?: unknown } | undefined;
        return parsed.success && data!.type === 'text' && data!.text === part.text && data!.cache_control === undefined ? [] : [{ part, parsed }];
      }),
    );

    // Assess
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(passed.length).toBeGreaterThan(ROUNDS);
  });
});

/**
 * `v` without own `__proto__` keys (JSON.parse makes them): zod drops one from what it copies (a tool's
 * `parameters`), where `plainlyValid` (request.ts) passes the client's object on as it came. A known
 * difference, harmless either way (no prototype is set), not the decoding's.
 */
function withoutProtoKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutProtoKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (k === '__proto__' ? [] : [[k, withoutProtoKeys(x)]])));
}
