import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { DETECTOR_NAMES, RECOGNISED_WITHIN, SECRETS_PRESET } from './detectors';

/** What a rule does with a match: refuse the call, replace the match before it goes upstream, or let it go and record the hit. */
export const GUARDRAIL_ACTIONS = ['block', 'redact', 'flag'] as const;
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];

/** Where a rule looks: the request body on its way in, the answer on its way out, or both. */
export const GUARDRAIL_SIDES = ['request', 'response'] as const;
export type GuardrailSide = (typeof GUARDRAIL_SIDES)[number];

/** How many bytes of a streamed answer's text are held back, by default, while a `redact` or `block` rule on answers could still match them. */
export const DEFAULT_STREAM_WINDOW = 512;

/**
 * The most bytes of a streamed answer's text held from the start of something that may still
 * become (or is still growing as) a match of a `redact` or `block` rule, by default: a PEM block
 * before its footer, a JWT before its signature. 64 KB: past any key or token anyone pastes (an
 * RSA 16384-bit key's PEM is about 12.5 KB; servers refuse headers, and so JWTs, over 8–16 KB),
 * and the bound matches had before candidates were held. It costs latency only while such a text
 * is open, and memory per running text; past it, what is held is decided as a match.
 */
export const DEFAULT_STREAM_HOLD_MAX = 64 * 1024;

/** The preset that stands for every built-in detector but `jwt`, each a rule of its own named after it. */
export const SECRETS = 'secrets';

/** Flags a user pattern may carry; the scan adds its own (`g`, `d`). */
const PATTERN_FLAGS = /^[imsu]*$/;

/**
 * Texts a pattern that can match the empty string usually matches emptily somewhere in: lookaheads,
 * word boundaries, anchors and starred groups all show up on one of them.
 */
const EMPTY_PROBES = ['', 'a', ' ', 'x y', '0', 'A1_-', '\\n', '\n', '"', 'aaaaaaaaaa', 'sk-test key=value'];

/**
 * Why a user pattern cannot be used, or undefined: it does not compile, carries a flag the scan
 * does not take, matches the empty string (which would redact between every two characters), or
 * may backtrack catastrophically. A pattern runs on every body, in the one thread that serves the
 * call, and cannot be stopped: `(\w+\s?)+$` takes seconds on 30 letters of a prompt and doubles
 * with each more. safe-regex2 (Fastify's) refuses nested quantifiers (star height above 1) and more
 * than 25 of them; it cannot read lookbehind, so a pattern with one is refused too.
 *
 * @example
 * patternProblem('AKIA[0-9A-Z]{16}', '') // undefined
 * patternProblem('x*', '') // 'matches the empty string …'
 */
export function patternProblem(source: string, flags: string): string | undefined {
  if (!PATTERN_FLAGS.test(flags)) return `flags may hold only i, m, s and u (the scan adds g and d itself), not "${flags}"`;
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, `g${flags}`);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  if (!safeRegex(source)) {
    return 'may backtrack catastrophically (a quantifier inside a quantified group, such as (a+)+, or more than 25 quantifiers), or uses lookbehind, which the check (safe-regex2) cannot read: write it without';
  }
  for (const probe of EMPTY_PROBES) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(probe); m; m = pattern.exec(probe)) {
      if (m[0] === '') return `matches the empty string (in ${JSON.stringify(probe)}): a pattern must always match at least one character`;
    }
  }
  return undefined;
}

const Pattern = z.strictObject({
  /** A JavaScript regular expression, run on the body's JSON text (a newline there is `\n`, a quote `\"`). */
  regex: z.string().min(1, { message: 'regex is an empty pattern' }).max(1000, { message: 'regex is at most 1000 characters' }),
  /** `i`, `m`, `s`, `u`, or none. */
  flags: z.string().default(''),
});

const Detect = z.union([z.enum([SECRETS, ...DETECTOR_NAMES]), Pattern], {
  error: `detect is one of "${SECRETS}", ${DETECTOR_NAMES.map((n) => `"${n}"`).join(', ')}, or { "regex": "…", "flags": "i" }`,
});

const Sides = z
  .array(z.enum(GUARDRAIL_SIDES, { message: 'on lists "request" and/or "response"' }))
  .min(1, { message: 'on lists "request" and/or "response" (at least one)' })
  .refine((sides) => new Set(sides).size === sides.length, { message: 'on names a side twice' });

const RuleSchema = z
  .strictObject({
    /** Names the rule in errors, usage records, logs, metrics and `[REDACTED:<id>]`; a built-in's name by default. Required for a regex. */
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,47}$/, { message: 'id is lower-case letters, digits, "_", "." or "-" (at most 48)' })
      .optional(),
    detect: Detect,
    action: z.enum(GUARDRAIL_ACTIONS, { message: 'action is "block", "redact" or "flag"' }),
    /** Where this rule looks, if not where the rule set does (`guardrails.on`). */
    on: Sides.optional(),
  })
  .superRefine((rule, ctx) => {
    if (typeof rule.detect === 'string') return;
    if (!rule.id) ctx.addIssue({ code: 'custom', path: ['id'], message: 'a rule with a regex needs an id (it names the rule in errors and in [REDACTED:<id>])' });
    const problem = patternProblem(rule.detect.regex, rule.detect.flags);
    if (problem) ctx.addIssue({ code: 'custom', path: ['detect', 'regex'], message: problem });
  });
export type GuardrailRuleConfig = z.infer<typeof RuleSchema>;

/** Rule ids are unique per side: the same detector may redact on the way in and block on the way out. */
function uniqueRuleIds(rules: readonly GuardrailRuleConfig[], on: readonly GuardrailSide[], ctx: z.RefinementCtx, at: readonly (string | number)[]): void {
  for (const side of GUARDRAIL_SIDES) {
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      if (!appliesTo(rule, on, side)) return;
      for (const id of ruleIds(rule)) {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [...at, 'rules', i, 'id'], message: `rule id "${id}" is used twice on the ${side} side (the "${SECRETS}" preset names one rule per built-in detector)` });
        seen.add(id);
      }
    });
  }
}

/** What a key or team names a rule set by: as a rule id, but never `on` or `off`, which the admin API reads as switches. */
export const SET_NAME = /^[a-z0-9][a-z0-9_.-]{0,47}$/;
const RESERVED_SET_NAMES: ReadonlySet<string> = new Set(['on', 'off']);

/**
 * Why a name cannot name a rule set or a parameter policy, or undefined.
 *
 * @example
 * setNameProblem('contractors') // undefined
 * setNameProblem('off') // '"off" is kept for the switch …'
 */
export function setNameProblem(name: string): string | undefined {
  if (!SET_NAME.test(name)) return `"${name}" is not a name: lower-case letters, digits, "_", "." or "-" (at most 48)`;
  if (RESERVED_SET_NAMES.has(name)) return `"${name}" is kept for the switch (guardrails "on" or "off"): name the set otherwise`;
  return undefined;
}

/** At most this many named sets: each is compiled at start, and the names are a metric's and a record's words. */
export const MAX_GUARDRAIL_SETS = 32;

/** A named rule set (`guardrails.sets.<name>`), for the keys and teams that name it instead of the gateway's own rules. */
const RuleSetSchema = z.strictObject(
  {
    /** Where its rules look unless a rule says otherwise; the gateway's `guardrails.on` when absent. */
    on: Sides.optional(),
    rules: z.array(RuleSchema).max(64, { message: 'a rule set holds at most 64 rules' }).default([]),
  },
  { message: 'a rule set is { "rules": [ … ], "on": ["request", "response"] }' },
);
export type GuardrailRuleSetConfig = z.infer<typeof RuleSetSchema>;

/**
 * `guardrails`: rules run on the text of every model call's body before it goes anywhere, and
 * (`on: ["response"]`) on the answers the models send back (`lib/guardrails/`). No rules: nothing
 * is scanned. `sets` are named rule sets a key or team may use instead (`lib/guardrails/sets.ts`).
 */
export const GuardrailsSchema = z
  .strictObject({
    /** Where the rules look unless a rule says otherwise: `request` (the body the client sends), `response` (the answer the model sends back), or both. */
    on: Sides.default(['request']),
    /**
     * Bytes of a streamed answer's text held back while a `redact` or `block` rule on answers could
     * still match them (a match must be recognisable within this many bytes of its start): what
     * such rules cost a stream in lag. Flag-only rule sets hold nothing back.
     */
    streamWindow: z
      .number()
      .int({ message: 'streamWindow is a whole number of bytes' })
      .min(RECOGNISED_WITHIN, { message: `streamWindow is at least ${RECOGNISED_WITHIN} bytes (a built-in detector may need up to that much of a token to know it)` })
      .max(16384, { message: 'streamWindow is at most 16384 bytes' })
      .default(DEFAULT_STREAM_WINDOW),
    /**
     * Bytes of a streamed answer's text held, at most, from the start of something that may still
     * become a match of a built-in detector (a JWT before its signature) or is one still growing (a
     * PEM block before its footer): past it, the held text is decided as a match of its rule
     * (redacted or blocked: never released). At least `streamWindow`.
     */
    streamHoldMax: z
      .number()
      .int({ message: 'streamHoldMax is a whole number of bytes' })
      .min(1024, { message: 'streamHoldMax is at least 1024 bytes (a JWT or a PEM block is seldom shorter)' })
      .max(1024 * 1024, { message: 'streamHoldMax is at most 1048576 bytes (1 MiB): it is held in memory per running text' })
      .default(DEFAULT_STREAM_HOLD_MAX),
    rules: z.array(RuleSchema).max(64, { message: 'guardrails.rules holds at most 64 rules' }).default([]),
    /** Named rule sets, by name: a key or team that names one (`guardrails: "<name>"`) is screened by its rules instead of the ones above. */
    sets: z.record(z.string(), RuleSetSchema).optional(),
  })
  .superRefine((config, ctx) => {
    uniqueRuleIds(config.rules, config.on, ctx, []);
    if (config.streamHoldMax < config.streamWindow) ctx.addIssue({ code: 'custom', path: ['streamHoldMax'], message: `streamHoldMax (${config.streamHoldMax}) is at least streamWindow (${config.streamWindow}): a candidate is held at least as long as any text` });
    const names = Object.keys(config.sets ?? {});
    if (names.length > MAX_GUARDRAIL_SETS) ctx.addIssue({ code: 'custom', path: ['sets'], message: `guardrails.sets holds at most ${MAX_GUARDRAIL_SETS} sets` });
    for (const name of names) {
      const problem = setNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: ['sets', name], message: `guardrails.sets: ${problem}` });
      const set = config.sets![name]!;
      uniqueRuleIds(set.rules, set.on ?? config.on, ctx, ['sets', name]);
    }
  });
export type GuardrailsConfig = z.infer<typeof GuardrailsSchema>;

/**
 * Whether a configured rule looks at a side: its own `on`, else the rule set's.
 *
 * @example
 * appliesTo({ detect: 'jwt', action: 'flag' }, ['request', 'response'], 'response') // true
 */
export function appliesTo(rule: GuardrailRuleConfig, setSides: readonly GuardrailSide[], side: GuardrailSide): boolean {
  return (rule.on ?? setSides).includes(side);
}

/** The ids a configured rule stands for: one, or one per built-in for the preset without an id. */
function ruleIds(rule: GuardrailRuleConfig): string[] {
  if (rule.id) return [rule.id];
  if (rule.detect === SECRETS) return [...SECRETS_PRESET];
  return typeof rule.detect === 'string' ? [rule.detect] : [];
}
