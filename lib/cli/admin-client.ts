import type { ApiKeyInfo, KeyLimits } from '../access/api-key';
import type { TeamRecord } from '../access/team';
import type { BudgetStatus } from '../access/budget-status';
import type { UsageTotals } from '../usage/rollup';
import type { Target } from './auth';
import { CliError } from './errors';
import { errorMessageOf, excerpt, unreachable } from './http-errors';
import { defaultAwsCredentials, signLambdaUrlRequest, type AwsCredentials } from './sigv4';

/** A key as `GET /admin/keys` shows it: with where each of its budgets stands, when it has any. */
export type KeyView = ApiKeyInfo & { spend?: BudgetStatus[] };
/** A team as `GET /admin/teams` shows it, with its budgets' spend likewise. */
export type TeamView = TeamRecord & { spend?: BudgetStatus[] };

/** What `POST /admin/keys` answers: the key's info and, this once, the key itself. */
export type CreatedKey = ApiKeyInfo & { key: string };

export interface NewKey {
  name: string;
  models: string[];
  limits?: KeyLimits;
  /** Limits each end user of the key is held to. */
  endUserLimits?: KeyLimits;
  /** Refuse calls that name no end user. */
  endUserRequired?: boolean;
  /** IPv4 and IPv6 addresses and CIDR ranges the key may be used from; any address when absent. */
  allowedIps?: string[];
  /** The team the key belongs to (its id); it must exist. */
  teamId?: string;
  /** Its calls go to the audit log in `audit.mode: flagged`. */
  audit?: boolean;
  /** "off": its calls are not screened by the guardrails; a rule set's name: screened by that set. */
  guardrails?: string;
  /** A request parameter policy's name, on top of the model's. */
  params?: string;
  expiresAt?: string;
}

/**
 * What `PATCH /admin/keys/{id}` takes: a merge patch (RFC 7396), so a field left out is kept and
 * a limit, or the address list, set to null is removed.
 */
export interface KeyPatch {
  name?: string;
  models?: string[];
  limits?: { [K in keyof KeyLimits]?: number | null };
  endUserLimits?: { [K in keyof KeyLimits]?: number | null };
  endUserRequired?: boolean;
  allowedIps?: string[] | null;
  /** Moves the key to this team; null takes it out of its team. */
  teamId?: string | null;
  /** Flags the key for the audit log (`flagged` mode); false removes the flag. */
  audit?: boolean;
  /** "off" exempts the key from the guardrails, a rule set's name screens it by that set; "on" removes its own choice. */
  guardrails?: string;
  /** A request parameter policy's name; null removes the key's own. */
  params?: string | null;
}

/** What `POST /admin/teams` takes. */
export interface NewTeam {
  name: string;
  models?: string[];
  limits?: KeyLimits;
  endUserLimits?: KeyLimits;
  audit?: boolean;
  guardrails?: string;
  params?: string;
}

/** What `PATCH /admin/teams/{id}` takes: a merge patch, models or a limit set to null is removed. */
export interface TeamPatch {
  name?: string;
  models?: string[] | null;
  limits?: { [K in keyof KeyLimits]?: number | null };
  endUserLimits?: { [K in keyof KeyLimits]?: number | null };
  audit?: boolean;
  guardrails?: string;
  params?: string | null;
}

/** What `GET /admin/usage` takes: days are `YYYY-MM-DD` (UTC); the API defaults them to this month so far. */
export interface UsageQuery {
  from?: string;
  to?: string;
  /** Only this key's usage (its id). */
  key?: string;
  /** Only usage made in this team (its id). */
  team?: string;
  /** Only this end user's usage (`GET /admin/usage/end-users` only). */
  endUser?: string;
}

/** One key's usage of one model on one UTC day, as its last roll-up summed it. */
export interface UsageRow extends UsageTotals {
  day: string;
  keyId: string;
  /** Null when the key is no longer in the store. */
  keyName: string | null;
  /** The team the usage was made in; null for none. */
  teamId: string | null;
  /** Null when outside any team, or the team is no longer in the store. */
  teamName: string | null;
  model: string;
  /** When the roll-up was summed (or the records read): usage after that is not in it yet. */
  rolledUpAt: string;
  /** The end user the calls named (null for none): in the report by end user only. */
  endUser?: string | null;
}

/** What `GET /admin/usage` answers: the range it read (defaults filled in) and its rows. */
export interface UsageReport {
  from: string;
  to: string;
  data: UsageRow[];
}

/** What `POST /admin/usage/rollup` answers: the days summed, the keys looked at, the roll-ups written. */
export interface RollupResult {
  days: string[];
  keys: number;
  rollups: number;
}

export interface AdminClientOptions {
  target: Target;
  fetch?: typeof fetch;
  /** Gives up on a request after this long (a cold Lambda start takes a few seconds). */
  timeoutMs?: number;
  /** The clock a signed request is dated by. */
  now?: () => Date;
  /** Hears what the AWS SDK warns about the credentials it finds for a signed request. */
  warn?: (message: string) => void;
}

const DEFAULTS = { timeoutMs: 30_000 } as const;

/**
 * The admin API (`lib/admin/api.ts`) over HTTP. Every failure becomes a CliError whose message
 * can be shown as it is: the server's own error message, or what to do when nothing answers.
 *
 * @example
 * const admin = createAdminClient({ target: { url: 'http://127.0.0.1:8787', auth: { kind: 'token', token, source: '--token' } } });
 * const { key } = await admin.createKey({ name: 'alice', models: ['*'] });
 */
export function createAdminClient(options: AdminClientOptions) {
  const { target } = options;
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  /** The chain's credentials, found once for all the requests of a run (each link may be a request or a process of its own). */
  let awsCredentials: Promise<AwsCredentials> | undefined;

  async function headersFor(method: string, url: URL, body: string | undefined): Promise<Record<string, string>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const { auth } = target;
    if (auth.kind === 'token') headers.authorization = `Bearer ${auth.token}`;
    if (auth.kind === 'sigv4') {
      const credentials = auth.credentials ?? (await (awsCredentials ??= defaultAwsCredentials(auth.profile, options.warn)));
      return signLambdaUrlRequest({ method, url, headers, ...(body !== undefined ? { body } : {}) }, { region: auth.region, credentials, ...(options.now ? { signingDate: options.now() } : {}) });
    }
    return headers;
  }

  async function send<T>(method: string, path: string, payload?: unknown): Promise<T> {
    const url = new URL(target.url + path);
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    let headers: Record<string, string>;
    try {
      headers = await headersFor(method, url, body);
    } catch (err) {
      throw new CliError(
        'failed',
        `cannot sign the request for ${target.url} with AWS credentials: ${(err as Error).message}. ` +
          'Configure AWS credentials (AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or pass --token.',
        { cause: err },
      );
    }
    let response: Response;
    try {
      response = await fetchImpl(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw unreachable(err, target.url, timeoutMs);
    }
    const text = await response.text();
    if (!response.ok) throw refused(response, text, target);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new CliError('failed', `the gateway at ${target.url} answered ${response.status} with something that is not JSON: ${excerpt(text)}`, { cause: err });
    }
  }

  return {
    createKey(key: NewKey): Promise<CreatedKey> {
      return send('POST', '/admin/keys', key);
    },
    async listKeys(): Promise<KeyView[]> {
      return (await send<{ data: KeyView[] }>('GET', '/admin/keys')).data;
    },
    getKey(id: string): Promise<KeyView> {
      return send('GET', `/admin/keys/${encodeURIComponent(id)}`);
    },
    updateKey(id: string, patch: KeyPatch): Promise<ApiKeyInfo> {
      return send('PATCH', `/admin/keys/${encodeURIComponent(id)}`, patch);
    },
    revokeKey(id: string): Promise<ApiKeyInfo> {
      return send('POST', `/admin/keys/${encodeURIComponent(id)}/revoke`);
    },
    /** A new secret for the key; without `graceSeconds`, the gateway's default grace for the old one. */
    rotateKey(id: string, graceSeconds?: number): Promise<CreatedKey> {
      return send('POST', `/admin/keys/${encodeURIComponent(id)}/rotate`, graceSeconds === undefined ? undefined : { graceSeconds });
    },
    createTeam(team: NewTeam): Promise<TeamRecord> {
      return send('POST', '/admin/teams', team);
    },
    async listTeams(): Promise<TeamView[]> {
      return (await send<{ data: TeamView[] }>('GET', '/admin/teams')).data;
    },
    getTeam(id: string): Promise<TeamView> {
      return send('GET', `/admin/teams/${encodeURIComponent(id)}`);
    },
    updateTeam(id: string, patch: TeamPatch): Promise<TeamRecord> {
      return send('PATCH', `/admin/teams/${encodeURIComponent(id)}`, patch);
    },
    deleteTeam(id: string): Promise<TeamRecord> {
      return send('DELETE', `/admin/teams/${encodeURIComponent(id)}`);
    },
    /** Reads the daily roll-ups; only the parts of the query given are sent. */
    usage(query: UsageQuery = {}): Promise<UsageReport> {
      const params = new URLSearchParams();
      for (const name of ['from', 'to', 'key', 'team'] as const) if (query[name] !== undefined) params.set(name, query[name]);
      const search = params.toString();
      return send('GET', search ? `/admin/usage?${search}` : '/admin/usage');
    },
    /** Reads usage per end user, summed from the usage records themselves (a month at most); only the parts of the query given are sent. */
    endUserUsage(query: UsageQuery = {}): Promise<UsageReport> {
      const params = new URLSearchParams();
      for (const name of ['from', 'to', 'key', 'team', 'endUser'] as const) if (query[name] !== undefined) params.set(name, query[name]);
      const search = params.toString();
      return send('GET', search ? `/admin/usage/end-users?${search}` : '/admin/usage/end-users');
    },
    /** Has the gateway sum these days' usage again now; without days, the ones it chooses (yesterday and today, UTC). */
    rollUpUsage(days?: readonly string[]): Promise<RollupResult> {
      return send('POST', '/admin/usage/rollup', days === undefined ? undefined : { days });
    },
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;

function refused(response: Response, text: string, target: Target): CliError {
  const tokenMessage = response.status === 401 ? refusedTokenMessage(target) : undefined;
  if (tokenMessage) return new CliError('failed', tokenMessage);
  const message = errorMessageOf(text) ?? `HTTP ${response.status} ${response.statusText}${text.trim() ? `: ${excerpt(text)}` : ''}`;
  const hint = response.status === 403 && target.auth.kind === 'sigv4' ? '\n(AWS refused the signed request: your AWS credentials need lambda:InvokeFunctionUrl on the admin function)' : '';
  return new CliError('failed', `${message}${hint}`);
}

/**
 * A 401 from the admin API, said from the CLI's side: the server only knows the token is not its
 * own, the CLI knows whether it sent one and where it came from.
 */
function refusedTokenMessage({ url, auth }: Target): string | undefined {
  if (auth.kind === 'token') {
    return `the gateway at ${url} refused the admin token from ${auth.source}. Use the one it was started with: its GATEWAY_ADMIN_TOKEN, else the admin-token file in its data dir (.data/admin-token by default).`;
  }
  if (auth.kind === 'none') {
    return `the gateway at ${url} needs an admin token, and none was found: pass --token, set GATEWAY_ADMIN_TOKEN, or run aigw in or below the directory where \`npm start\` wrote .data/admin-token.`;
  }
  return undefined;
}
