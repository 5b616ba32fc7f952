import { COOL_DOWN } from './health';

/**
 * A provider's quota an answer reports on: requests, tokens (OpenAI's, Azure's, and Anthropic's
 * most restrictive of the two below), and Anthropic's input and output tokens apart.
 */
export type QuotaKind = 'requests' | 'tokens' | 'input-tokens' | 'output-tokens';

/** One quota as an answer reported it: what is left, of how much (if said), until when (epoch ms). */
export interface QuotaWindow {
  kind: QuotaKind;
  remaining: number;
  /** Azure sends only what is left: `QuotaReadings` then takes the most it has seen left as the limit. */
  limit?: number;
  resetsAt: number;
  /** The answer named no readable reset: `resetsAt` is `HEADROOM.unknownResetMs` guessed, good for ageing a reading, not for a wait (`rateLimitRetryAfter`). */
  resetGuessed?: true;
}

/** How headroom readings are read, kept and compared. */
export const HEADROOM = Object.freeze({
  /**
   * Shares of quota left within the same band tie, and ties keep the weighted draw: two accounts
   * with nearly all their quota left spread by weight instead of taking turns on every call, and the
   * one with more left wins once the gap is a band wide. An account that said it had nothing left
   * is benched until a band of the quota has come back (`QuotaReadings.exhausted`).
   */
  bandShare: 0.05,
  /**
   * When an answer says what is left but not when it refills (Azure): its quotas are per minute
   * (tokens) or per ten seconds (requests), so a reading a minute old says nothing any more.
   */
  unknownResetMs: 60_000,
  /**
   * The furthest ahead a reported reset is believed (a daily quota's reset would otherwise hold an
   * account's reading, and bench an exhausted one, for hours unseen): the longest a retry-after rests
   * an account too, so a reading and a 429 age alike.
   */
  maxResetMs: COOL_DOWN.maxRetryAfterMs,
  /** The most (account, quota scope) readings kept: models a pattern resolves are named by clients, so the count must be bounded. */
  maxReadings: 4096,
});

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** OpenAI's (and Azure's, which sends only `remaining`) headers, by kind. */
const OPENAI_KINDS = [
  ['requests', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'],
  ['tokens', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
] as const;

/** Anthropic's headers, by kind: `anthropic-ratelimit-<kind>-{limit,remaining,reset}` (named once, not per answer). */
const ANTHROPIC_KINDS = (['requests', 'tokens', 'input-tokens', 'output-tokens'] as const).map(
  (kind) => [kind, `anthropic-ratelimit-${kind}-limit`, `anthropic-ratelimit-${kind}-remaining`, `anthropic-ratelimit-${kind}-reset`] as const,
);

/**
 * The quotas an upstream answer reports, from OpenAI's and Azure's `x-ratelimit-*` headers (reset as
 * a duration: `20ms`, `1s`, `6m0s`) or Anthropic's `anthropic-ratelimit-*` (reset as an RFC 3339
 * time). A kind whose `remaining` is missing, negative (Azure's Responses API sends `-1`) or not a
 * number is left out; a missing or unreadable reset counts as `HEADROOM.unknownResetMs` away, and
 * none is believed further than `HEADROOM.maxResetMs`. Undefined when the answer reports no quota
 * at all (Gemini, Bedrock, Vertex, most OpenAI-compatible servers).
 *
 * @example
 * readQuota({ 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '499', 'x-ratelimit-reset-requests': '120ms' }, 1_000);
 * // [{ kind: 'requests', remaining: 499, limit: 500, resetsAt: 1_120 }]
 */
export function readQuota(headers: Headers, nowMs: number): QuotaWindow[] | undefined {
  const windows: QuotaWindow[] = [];
  for (const [kind, limitName, remainingName, resetName] of OPENAI_KINDS) {
    const remaining = count(headers[remainingName]);
    if (remaining === undefined) continue;
    const resetMs = durationMs(first(headers[resetName]));
    windows.push(windowOf(kind, remaining, count(headers[limitName]), resetMs === undefined ? undefined : nowMs + resetMs, nowMs));
  }
  for (const [kind, limitName, remainingName, resetName] of ANTHROPIC_KINDS) {
    const remaining = count(headers[remainingName]);
    if (remaining === undefined) continue;
    const reset = first(headers[resetName]);
    const at = reset === undefined ? NaN : Date.parse(reset);
    windows.push(windowOf(kind, remaining, count(headers[limitName]), Number.isNaN(at) ? undefined : at, nowMs));
  }
  return windows.length ? windows : undefined;
}

function windowOf(kind: QuotaKind, remaining: number, limit: number | undefined, resetsAt: number | undefined, nowMs: number): QuotaWindow {
  const at = Math.min(resetsAt ?? nowMs + HEADROOM.unknownResetMs, nowMs + HEADROOM.maxResetMs);
  // A limit of 0 says nothing of a share: the window is read as Azure's, by the most seen left.
  return { kind, remaining, ...(limit ? { limit } : {}), resetsAt: at, ...(resetsAt === undefined ? { resetGuessed: true as const } : {}) };
}

/** A header's first value (node gives a repeated header as a list). */
export const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** A header's whole non-negative count, else undefined. */
function count(value: string | string[] | undefined): number | undefined {
  const text = first(value)?.trim();
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };

/**
 * A duration as OpenAI writes its resets (Go's `time.Duration` form: `20ms`, `1s`, `6m0s`,
 * `1h2m3.5s`; a bare number is seconds) in milliseconds; undefined when unreadable.
 *
 * @example
 * durationMs('6m0s'); // 360000
 * durationMs('soon'); // undefined
 */
export function durationMs(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/** Anthropic's classes from Claude 4 on: `claude-sonnet-4-6` and `claude-sonnet-4-5-20250929` share `claude-sonnet-4`. */
const ANTHROPIC_CLASS = /^claude-(opus|sonnet|haiku)-(\d+)(?:-|$)/;

/**
 * Which of an account's quotas a call to the model draws on: OpenAI and Azure keep one per model
 * (Azure per deployment, which the config names as the model); Anthropic one per model class
 * (Claude Sonnet 4.x together; older models each their own). Readings are kept by it.
 *
 * @example
 * quotaScope('anthropic', 'claude-sonnet-4-5-20250929'); // 'claude-sonnet-4'
 * quotaScope('openai', 'gpt-4o'); // 'gpt-4o'
 */
export function quotaScope(providerType: string, model: string): string {
  if (providerType !== 'anthropic') return model;
  const m = ANTHROPIC_CLASS.exec(model);
  return m ? `claude-${m[1]}-${m[2]}` : model;
}

/** What balancing reads of the readings (`balancedOrder`, `planAttempts`). */
export interface HeadroomView {
  /**
   * The share of the account's quota left for calls in this scope (0 to 1, the tightest of its
   * quotas; a quota past its reset counts as full), as its last answer reported it; undefined when
   * none has been read since the instance started (or the readings were forgotten).
   */
  headroom(ref: string, scope: string): number | undefined;
  /**
   * Whether the account's last answer said a quota in this scope has nothing left, and a band of it
   * (`HEADROOM.bandShare`) has not come back since at the rate its reset implies.
   */
  exhausted(ref: string, scope: string): boolean;
}

/** The last reading of one account's quotas in one scope: each window. */
interface Reading {
  windows: QuotaWindow[];
  /** Whether a window said nothing was left (its reset may have passed since). */
  spent: boolean;
  /** When it was read (epoch ms): its resets are counted from here. */
  at: number;
  /** The send order (`QuotaReadings.sending`) of the call whose answer it is: a reading of a call sent earlier never replaces it. */
  sent: number;
  /**
   * The most each kind has been said to be, left or as a limit: Azure's limit, kept apart from the
   * last windows, which an answer that does not report a kind (a `-1`, a 429 with tokens only, a
   * success without the headers) would otherwise take with them.
   */
  most: Partial<Record<QuotaKind, number>>;
}

const spentIn = (windows: readonly QuotaWindow[]) => windows.some((w) => w.remaining === 0);

/**
 * The upstreams' own word on each account's quota, as last read from an answer's rate-limit
 * headers, in this instance's memory. The provider counts every caller's use of the account, so a
 * reading here reflects what every other instance (and anyone else on the account) has spent: the
 * one shared measure of how busy an account is that costs no table access. Bounded by
 * `HEADROOM.maxReadings` (all forgotten at the cap, as the latency averages are).
 *
 * @example
 * const readings = new QuotaReadings(() => 0);
 * readings.record('openai/a', 'gpt-4o', { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '25', 'x-ratelimit-reset-requests': '30s' }, true);
 * readings.headroom('openai/a', 'gpt-4o'); // 0.25
 */
export class QuotaReadings implements HeadroomView {
  readonly #readings = new Map<string, Map<string, Reading>>();
  #count = 0;
  /** The last send order handed out (`sending`), or taken by a reading recorded without one. */
  #sends = 0;
  /** How many readings say something was spent: while none do, `exhausted` answers without a look-up (it is asked of every account of a pool on every call). */
  #spent = 0;

  constructor(readonly now: () => number = Date.now) {}

  /**
   * A call's place in the order calls were sent, taken just before it is sent and handed back to
   * `record` with its answer's headers. Readings are ordered by it, not by when they arrive: the
   * providers count a call against the quota when they take it in, so its answer reports what was
   * left then, yet a whole answer's headers come only after its last token. Two calls in flight on
   * one account, the one sent first (with more left) can answer last, and by arrival its older,
   * higher reading would replace the newer one. The send order is the nearest the gateway sees to
   * the provider's own: the provider's `date` header is stamped when the answer is written (the
   * arrival order again, to the second), OpenAI's resets are durations from the answer, and
   * Anthropic's reset times move with what is spent, so none of them orders two readings. A counter,
   * not a clock: two calls sent in the same millisecond still have an order, and a clock set back
   * cannot make a new reading look old.
   *
   * @example
   * const first = readings.sending(); // before the call is sent
   * readings.record('openai/a', 'gpt-4o', res.headers, res.status < 400, first);
   */
  sending(): number {
    return ++this.#sends;
  }

  /**
   * Keeps what an answer's headers say of the account's quota in the scope, unless a call sent
   * after this one (`sent`, from `sending`) has already answered: the newer reading stays. A
   * reading recorded without `sent` counts as the newest. A success that reports none (a provider
   * that sends no such headers) is kept as a reading with nothing tight, so the account counts as
   * full, not as never read; an error that reports none changes nothing (the rests see to it).
   */
  record(ref: string, scope: string, headers: Headers, answered: boolean, sent: number = this.sending()): void {
    const now = this.now();
    const windows = readQuota(headers, now);
    if (!windows && !answered) return;
    const last = this.#readings.get(ref)?.get(scope);
    const most = last?.most ?? {};
    for (const w of windows ?? []) {
      // Azure says only what is left: the most it has said is the nearest thing to its limit.
      w.limit ??= Math.max(most[w.kind] ?? 0, w.remaining);
      // A most is a most whichever answer said it: an older reading still teaches it.
      most[w.kind] = Math.max(most[w.kind] ?? 0, w.limit);
    }
    if (last && sent < last.sent) return;
    const spent = windows !== undefined && spentIn(windows);
    if (last) {
      this.#spent += Number(spent) - Number(last.spent);
      last.windows = windows ?? [];
      last.spent = spent;
      last.at = now;
      last.sent = sent;
      return;
    }
    // Bounded crudely but surely: at the cap every reading is forgotten and read again.
    if (this.#count >= HEADROOM.maxReadings) this.clear();
    let byScope = this.#readings.get(ref);
    if (!byScope) this.#readings.set(ref, (byScope = new Map()));
    byScope.set(scope, { windows: windows ?? [], spent, at: now, sent, most });
    this.#count++;
    this.#spent += Number(spent);
  }

  headroom(ref: string, scope: string): number | undefined {
    const reading = this.#readings.get(ref)?.get(scope);
    if (!reading) return undefined;
    const now = this.now();
    let share = 1;
    for (const w of reading.windows) {
      if (w.resetsAt <= now) continue;
      // An Azure window first read at 0 left has a limit of 0: nothing left.
      const left = w.limit ? Math.min(1, w.remaining / w.limit) : 0;
      if (left < share) share = left;
    }
    return share;
  }

  exhausted(ref: string, scope: string): boolean {
    if (this.#spent === 0) return false;
    const reading = this.#readings.get(ref)?.get(scope);
    if (!reading?.spent) return false;
    // A reset is when the quota is full again (OpenAI: "resets to its initial state"; Anthropic: "fully
    // replenished"), and both refill all along: an account out of requests at 60 a minute has one
    // back in a second, not a minute. Benched until a band has come back at that rate, it is then
    // tried after the accounts with more left (its share still reads 0) but before a fallback target.
    let now: number | undefined;
    for (const w of reading.windows) {
      if (w.remaining === 0 && (now ??= this.now()) < reading.at + (w.resetsAt - reading.at) * HEADROOM.bandShare) return true;
    }
    return false;
  }

  /** Forgets every reading (tests that share one gateway start each case afresh). */
  clear(): void {
    this.#readings.clear();
    this.#count = 0;
    this.#spent = 0;
  }
}
