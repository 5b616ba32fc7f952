/**
 * The one DynamoDB table: its shape and every key layout, in one place.
 * CDK (infra/), the embedded dynalite (lib/local) and the stores all read from here.
 */
export const TABLE_SHAPE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** A sparse index for listing things of one kind (all keys). */
  index: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  ttlAttribute: 'ttl',
} as const;

export const keyItemKey = (hash: string) => ({ PK: `KEY#${hash}`, SK: 'KEY' });
/** All keys share one index partition: listing is an admin action, rare and small. */
export const KEY_LIST_PARTITION = 'KEYS';

/** A team, read by its id (with each of its keys, into the authenticator's cache); all teams share one index partition for listing. */
export const teamItemKey = (id: string) => ({ PK: `TEAM#${id}`, SK: 'TEAM' });
export const TEAM_LIST_PARTITION = 'TEAMS';

/** Usage events, one partition per key and UTC day, sorted by time. */
export const usagePartition = (keyId: string, day: string) => `USAGE#${keyId}#${day}`;
export const usageItemKey = (keyId: string, at: Date, requestId: string) => {
  const iso = at.toISOString();
  return { PK: usagePartition(keyId, iso.slice(0, 10)), SK: `${iso}#${requestId}` };
};

/**
 * A key's or a team's counters for one minute (`RateWindow.id`), removed by TTL once the minute is
 * long past. The scope is a key id (`key_…`) or a team id (`team_…`): the prefixes keep them apart;
 * or an end user's under one of them (`key_…@<digest>`, `endUserCounterId` in `lib/access/end-user.ts`).
 */
export const rateWindowKey = (scopeId: string, windowId: string) => ({ PK: `RATE#${scopeId}#${windowId}`, SK: 'RATE' });

/** What a key or a team (`scopeId`, as for rate windows) has spent, and holds for calls in progress, in a UTC day or month (`SpendPeriod.id`), in micro-dollars. */
export const spendItemKey = (scopeId: string, periodId: string) => ({ PK: `SPEND#${scopeId}#${periodId}`, SK: 'SPEND' });

/** A key's usage of one UTC day, summed per model by the roll-up job; every day's roll-up of every key is listed in one index partition. */
export const rollupItemKey = (keyId: string, day: string) => ({ PK: `ROLLUP#${keyId}#${day}`, SK: 'ROLLUP', GSI1PK: ROLLUP_LIST_PARTITION, GSI1SK: `${day}#${keyId}` });
export const ROLLUP_LIST_PARTITION = 'ROLLUPS';

/** Accounts resting after a failure, shared by every instance: all in one partition, read whole. */
export const HEALTH_PARTITION = 'HEALTH';
export const healthItemKey = (accountRef: string) => ({ PK: HEALTH_PARTITION, SK: accountRef });

/**
 * The highest threshold of a key's or team's budget (`scopeId`, period as for spend) already
 * announced to the operator: one item per budget period, read with its spend counter in one batch,
 * claimed by a conditional update so that a crossing is announced once across runs and instances.
 */
export const alertMarkKey = (scopeId: string, periodId: string) => ({ PK: `${ALERT_MARK_PREFIX}${scopeId}#${periodId}`, SK: 'ALERT' });
export const ALERT_MARK_PREFIX = 'ALERT#';
/**
 * The index partition of alert marks whose claim is held for an alert that could not be sent from
 * the gateway (an end user's, which the scheduled job cannot find by itself): the job lists it,
 * sends each and takes it out. Sparse: only such marks carry `GSI1PK`.
 */
export const PENDING_ALERTS_PARTITION = 'ALERTS_PENDING';

/**
 * An answer of the response cache (`lib/cache/`), by the SHA-256 of its call (`cacheKey`); read
 * by that hash alone, and removed by TTL once it has expired (reads skip it before then).
 */
export const responseCacheItemKey = (hash: string) => ({ PK: `CACHE#${hash}`, SK: 'CACHE' });

/**
 * Where a stored Responses object (a response `resp_…` or a conversation `conv_…`, by the id the
 * provider gave it) lives, and whose it is (`lib/store/stored-homes.ts`): read by that id alone,
 * written in the batch of the usage record of the call that made or used it, removed by TTL
 * 30 days on (as OpenAI keeps stored responses).
 */
export const storedHomeKey = (id: string) => ({ PK: `STORED#${id}`, SK: 'STORED' });
