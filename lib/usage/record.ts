import type { GuardrailHit } from '../guardrails/scan';
import type { BalancedBy } from '../routing/balance';
import type { StoredHome } from '../store/stored-homes';

/** What one request cost and how it went: written once, after its response has ended. */
export interface UsageRecord {
  requestId: string;
  at: Date;
  keyId: string;
  /** The key's team when the request was made (a key may change teams later). */
  teamId?: string;
  /** The end user the request named (header or the API's user field), as the caller gave it: its identifier, not a verified identity. */
  endUser?: string;
  /** The surface the client spoke, e.g. `openai-chat`. */
  surface: string;
  /** The model name the client asked for. */
  model: string;
  provider?: string;
  account?: string;
  upstreamModel?: string;
  /**
   * What picked the serving account, where its pool balances or a sticky conversation left its
   * account (`lib/routing/balance.ts`): `weighted`, `least-busy`, `latency`, `explore`, `headroom`,
   * `sticky`; absent for a pool of one, and for a pool the config names no balance for unless a
   * sticky conversation's account yielded the call there (`weighted`).
   */
  balancedBy?: BalancedBy;
  stream: boolean;
  /** The HTTP status the client got. */
  status: number;
  /** ok | error (refused or failed before the upstream answered) | upstream_error | aborted (client left) | interrupted (failed mid-stream). */
  outcome: 'ok' | 'error' | 'upstream_error' | 'aborted' | 'interrupted';
  errorCode?: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Some of the tokens are the gateway's estimate: a stream cut off before the upstream's last count (`lib/usage/cut-off.ts`). */
  estimated?: true;
  /** The units the call was billed its price per call for, where it is billed by the unit: a rerank call's search units. */
  billedUnits?: number;
  latencyMs: number;
  /** Time to the first token (streams) or to the whole answer (non-streams); absent when none came. */
  ttftMs?: number;
  /** How many upstream calls it took (more than one after failover). */
  attempts: number;
  /** What it cost in micro-dollars (1e-6 USD) at the serving target's price; absent when the config names no price. */
  costMicros?: number;
  /** What the response cache did, for models with `cache`: a hit was served from it (costMicros 0), a miss went upstream, a bypass skipped the read. */
  cache?: 'hit' | 'miss' | 'bypass';
  /** A hit: what the stored answer cost when it was made, saved this time. */
  savedMicros?: number;
  /** The guardrails' rules that matched its body, with what they did and how often (never the text); absent when none did. */
  guardrails?: GuardrailHit[];
  /** What the model's request parameter policy changed (`param:how`, e.g. `maxOutputTokens:capped`, `temperature:forced`); absent when nothing. */
  params?: string[];
}

/** Where usage records go. `record` never blocks or throws; `drain` waits for everything recorded so far. */
export interface UsageSink {
  /**
   * Records a call's usage, with the stored Responses objects it deleted (`forgotten`, by id),
   * whose homes are removed with it (in the same batch, where the sink batches).
   */
  record(usage: UsageRecord, forgotten?: readonly string[]): void;
  /**
   * Writes the homes of stored Responses objects a call made or built on now (in the sink's next
   * batch), ahead of its usage record: a streamed answer names its response as it starts, and the
   * call may end minutes later (a long answer, a client reading slowly), while another instance
   * asked to continue the response must find its owner within `OWNERLESS_MIN_SECONDS`.
   */
  storeHomes(homes: readonly StoredHome[]): void;
  drain(): Promise<void>;
  /** Drains, then stops anything it would still write later (a sink that writes again what its store lost). */
  close?(): Promise<void>;
  /**
   * While more records wait to be written than the sink will hold, a promise that settles when
   * it can take more (or after a bounded wait); otherwise undefined. Requests that will leave a
   * record wait on it, so a store that falls behind slows the gateway down instead of filling
   * its memory.
   */
  backlog?(): Promise<void> | undefined;
}

export class MemoryUsageSink implements UsageSink {
  readonly records: UsageRecord[] = [];
  readonly homes: StoredHome[] = [];
  readonly forgotten: string[] = [];
  record(usage: UsageRecord, forgotten?: readonly string[]): void {
    this.records.push(usage);
    if (forgotten) this.forgotten.push(...forgotten);
  }
  storeHomes(homes: readonly StoredHome[]): void {
    this.homes.push(...homes);
  }
  async drain(): Promise<void> {}
}
