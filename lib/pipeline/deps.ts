import type { KeyAuthenticator } from '../access/authenticate';
import type { AuditLog } from '../audit/log';
import type { ResponseCache } from '../cache/response-cache';
import type { RateLimiter } from '../access/rate-limiter';
import type { SpendLimiter } from '../access/spend-limiter';
import type { GatewayConfig } from '../config/schema';
import type { Credentials } from '../credentials/credentials';
import type { Guardrails } from '../guardrails/scan';
import type { ScreeningRules } from '../guardrails/sets';
import type { ComposedPolicies } from '../params/compose';
import type { GatewayLogger } from '../observe/logger';
import type { ProviderRegistry } from '../providers/registry';
import type { Catalog } from '../routing/catalog';
import type { AccountLoad } from '../routing/account-load';
import type { AccountHealth } from '../routing/health';
import type { ConversationlessAccounts } from './conversationless-accounts';
import type { SharedHealth } from '../routing/shared-health';
import type { UpstreamClient } from '../upstream/http';
import type { UsageSink } from '../usage/record';
import type { StoredHomeStore } from '../store/stored-homes';

/** Everything a surface handler needs, built once per gateway. */
export interface ProxyDeps {
  config: GatewayConfig;
  catalog: Catalog;
  auth: KeyAuthenticator;
  limiter: RateLimiter;
  spend: SpendLimiter;
  credentials: Credentials;
  upstream: UpstreamClient;
  providers: ProviderRegistry;
  /** Which accounts rest after failing, in this instance. */
  health: AccountHealth;
  /** Calls in flight and smoothed latencies per account, in this instance: what `least-busy` and `latency` pools are ordered by. */
  load: AccountLoad;
  /** The accounts that answered 404 to a conversation's create lately, in this instance: the next creates pass them by. Absent: none are remembered. */
  conversationless?: ConversationlessAccounts;
  /** Shares rests with the other instances through the table, when there are others. */
  sharedHealth?: SharedHealth;
  usage: UsageSink;
  /** Where stored Responses objects live and whose they are, when the gateway has a table: read on a continuation this instance does not know. */
  storedHomes?: StoredHomeStore;
  /** The audit log of bodies; absent when `audit.mode` is `off`. */
  audit?: AuditLog;
  /** The response cache, when the gateway has a store for it; models without `cache` never touch it. */
  responseCache?: ResponseCache;
  /** The guardrails' rules, compiled; absent when the config has none (then no body is looked at). */
  guardrails?: Guardrails;
  /** The guardrails' rules on answers (`guardrails.on` has `response`), compiled, and how much of a stream they hold back; absent when none (then no answer is looked at). */
  answerGuardrails?: { rules: Guardrails; window: number };
  /** The named rule sets (`guardrails.sets`), compiled, for the keys and teams that name one; absent when the config has none. */
  guardrailSets?: ReadonlyMap<string, ScreeningRules>;
  /** The named request parameter policies (`paramPolicies`), each composed with a model's policy once, when first used; absent when the config has none. */
  paramPolicies?: ComposedPolicies;
  logger: GatewayLogger;
  /** Epoch ms. */
  now: () => number;
  /**
   * Ms on a clock no change of the wall clock moves (`monotonicNow`), for intervals a forward jump
   * must not shorten (the ownerless settle time); absent, `now` (tests that move one clock).
   */
  monotonicNow?: () => number;
  /** How long a stream drained after an emulated stop may stay quiet before a keep-alive goes (ms); `KEEP_ALIVE_MS` when absent, tests shorten it. */
  keepAliveMs?: number;
}
