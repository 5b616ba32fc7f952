import type { ApiKeyInfo, KeyLimits } from '../access/api-key';
import { toMicros } from '../access/spend-limits';
import { usd } from '../usage/cost';
import type { CreatedKey } from './admin-client';

/**
 * Lays rows out in columns: each as wide as its widest cell, two spaces apart, no trailing spaces.
 *
 * @example
 * formatTable(['ID', 'NAME'], [['key_1', 'alice']]);
 * // 'ID     NAME\nkey_1  alice\n'
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  // Code points, not UTF-16 units, so a name with an emoji does not shift its row.
  const width = (cell: string | undefined) => [...(cell ?? '')].length;
  const widths = header.map((_, col) => Math.max(...all.map((row) => width(row[col]))));
  const line = (row: readonly string[]) => widths.map((w, col) => (row[col] ?? '') + ' '.repeat(w - width(row[col]))).join('  ').trimEnd();
  return all.map((row) => `${line(row)}\n`).join('');
}

/** `2026-05-01T12:34:56.789Z` → `2026-05-01 12:34Z`: minutes are enough to tell keys apart by eye. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** `active`, `revoked`, or `expired` for an active key whose expiry has passed. */
export function displayStatus(key: Pick<ApiKeyInfo, 'status' | 'expiresAt'>, now: Date): string {
  if (key.status === 'active' && key.expiresAt && Date.parse(key.expiresAt) <= now.getTime()) return 'expired';
  return key.status;
}

// Names come from whoever created the key; control characters would break the layout (or the terminal).
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
const modelsText = (models: readonly string[]) => (models.length ? printable(models.join(',')) : '(none)');

/** How each of a key's limits reads, in the order they are shown. */
const LIMIT_TEXT: readonly (readonly [keyof KeyLimits, (value: number) => string])[] = [
  ['requestsPerMinute', (n) => `${n} rpm`],
  ['tokensPerMinute', (n) => `${n} tpm`],
  ['usdPerDay', (dollars) => `${usd(toMicros(dollars))}/day`],
  ['usdPerMonth', (dollars) => `${usd(toMicros(dollars))}/month`],
];

/**
 * `60 rpm, 90000 tpm, $5.00/day, $100.00/month`, or undefined for a key without limits. Plain
 * digits, not a locale's grouping, so the number reads back the way `--rpm` and the other flags
 * take it; money to the micro-dollar the gateway counts in.
 */
export function limitsText(limits: KeyLimits | undefined): string | undefined {
  const parts: string[] = [];
  for (const [field, text] of LIMIT_TEXT) {
    const value = limits?.[field];
    if (value !== undefined) parts.push(text(value));
  }
  return parts.length ? parts.join(', ') : undefined;
}

/** The lines under a key's heading in `keys create` and `keys update`, aligned like a table. */
function keyDetails(key: ApiKeyInfo): string[] {
  return [
    `  models:  ${modelsText(key.models)}`,
    `  limits:  ${limitsText(key.limits) ?? 'none'}`,
    `  expires: ${key.expiresAt ? shortTime(key.expiresAt) : 'never'}`,
  ];
}

/** The `keys list` table, oldest key first (the API lists them in id order, which is random). */
export function formatKeyTable(keys: readonly ApiKeyInfo[], now: Date): string {
  if (keys.length === 0) return 'No keys yet. Create one with: aigw keys create --name NAME\n';
  const byAge = [...keys].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return formatTable(
    ['ID', 'NAME', 'PREFIX', 'MODELS', 'LIMITS', 'STATUS', 'CREATED', 'EXPIRES'],
    byAge.map((k) => [
      printable(k.id),
      printable(k.name),
      k.prefix,
      modelsText(k.models),
      limitsText(k.limits) ?? '-',
      displayStatus(k, now),
      shortTime(k.createdAt),
      shortTime(k.expiresAt),
    ]),
  );
}

/** What `keys create` prints: the key on a line of its own, and the warning that it is shown once. */
export function formatCreatedKey(created: CreatedKey): string {
  return [
    `Created key ${printable(created.id)} (${printable(created.name)})`,
    ...keyDetails(created),
    '',
    `  ${created.key}`,
    '',
    'Store it now: it will not be shown again (the gateway keeps only its hash).',
    '',
  ].join('\n');
}

/**
 * What `keys update` prints: the key as it is now, so a removed limit shows as gone, and when the
 * change reaches gateways (they cache keys, limits included).
 */
export function formatUpdatedKey(key: ApiKeyInfo): string {
  return [
    `Updated key ${printable(key.id)} (${printable(key.name)})`,
    ...keyDetails(key),
    '',
    'Gateways that have it cached apply the change within keyCache.ttlSeconds (30 s by default).',
    '',
  ].join('\n');
}

/** What `keys revoke` prints. */
export function formatRevokedKey(key: ApiKeyInfo): string {
  const when = key.revokedAt ? ` at ${shortTime(key.revokedAt)}` : '';
  return `Revoked key ${printable(key.id)} (${printable(key.name)})${when}. Gateways that have it cached stop accepting it within keyCache.ttlSeconds (30 s by default).\n`;
}

/** `--json` output: indented, newline-terminated. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
