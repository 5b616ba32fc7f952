import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { KeyLimits } from '../access/api-key';

/** How a key's or a team's limits are stored: a map of numbers. */
export function limitsItem(limits: KeyLimits): AttributeValue {
  return { M: Object.fromEntries(Object.entries(limits).map(([name, value]) => [name, { N: String(value) }])) };
}

const LIMIT_NAMES = ['requestsPerMinute', 'tokensPerMinute', 'usdPerDay', 'usdPerMonth'] as const satisfies readonly (keyof KeyLimits)[];

/** Limits read back; undefined when none are stored. */
export function limitsOf(value: AttributeValue | undefined): KeyLimits | undefined {
  if (!value?.M) return undefined;
  const limits: KeyLimits = {};
  for (const name of LIMIT_NAMES) {
    const n = value.M[name]?.N;
    if (n !== undefined) limits[name] = Number(n);
  }
  return Object.keys(limits).length ? limits : undefined;
}
