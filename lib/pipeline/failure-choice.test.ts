import { GatewayError } from '../http/errors';
import { FAILURE_RANKS, failureRank, tellingFailure } from './failure-choice';

const NOW = Date.parse('2026-11-27T12:00:00Z');

const rateLimited = (retryAfter?: string) => new GatewayError('rate_limit', 'Rate limit reached.', { status: 429, ...(retryAfter === undefined ? {} : { headers: { 'retry-after': retryAfter } }) });
const overloaded = new GatewayError('overloaded', 'Overloaded.', { status: 503 });
const serverError = new GatewayError('upstream_error', 'Internal error.', { status: 500 });
const timedOut = new GatewayError('upstream_timeout', 'No answer in time.', { code: 'upstream_timeout' });
const unreachable = new GatewayError('upstream_unavailable', 'Could not connect.', { code: 'upstream_unreachable' });
const brokeOff = new GatewayError('upstream_error', 'The answer broke off.', { code: 'upstream_interrupted' });
const modelMissing = new GatewayError('upstream_error', 'No such model for this account (404 model_not_found).', { code: 'upstream_failed_precondition' });
const credentialsRefused = new GatewayError('upstream_error', 'The upstream refused the credentials.', { code: 'upstream_auth_failed' });
const bedrockQuota = new GatewayError('rate_limit', 'Quota exceeded.', { status: 429, code: 'ServiceQuotaExceededException' });

describe('failureRank', () => {
  it.each<[string, unknown, number]>([
    ['a rate limit', rateLimited('7'), FAILURE_RANKS.rateLimited],
    ["Bedrock's quota exceeded, read as a 429", bedrockQuota, FAILURE_RANKS.rateLimited],
    ['an overload (503)', overloaded, FAILURE_RANKS.overloaded],
    ["Anthropic's 529 kept as such", new GatewayError('upstream_error', 'Overloaded.', { status: 529 }), FAILURE_RANKS.overloaded],
    ['a 500', serverError, FAILURE_RANKS.failed],
    ['a timeout', timedOut, FAILURE_RANKS.failed],
    ['a connection that failed', unreachable, FAILURE_RANKS.failed],
    ['an answer that broke off', brokeOff, FAILURE_RANKS.failed],
    ['anything else thrown', new Error('socket hang up'), FAILURE_RANKS.failed],
    ['a model the account lacks', modelMissing, FAILURE_RANKS.cannotServe],
    ['credentials the upstream refused', credentialsRefused, FAILURE_RANKS.cannotServe],
    ['credentials not found', new GatewayError('upstream_error', 'No secret.', { code: 'upstream_credentials_missing' }), FAILURE_RANKS.cannotServe],
    ['a role it may not assume', new GatewayError('upstream_error', 'Denied.', { code: 'upstream_assume_role_denied' }), FAILURE_RANKS.cannotServe],
  ])('ranks %s', (_, error, rank) => {
    expect(failureRank(error)).toBe(rank);
  });
});

describe('tellingFailure', () => {
  it.each<[string, unknown[], unknown]>([
    ['the only failure', [modelMissing], modelMissing],
    ['a rate limit over a model missing after it', [rateLimited('7'), modelMissing], 'rateLimited(7)'],
    ['a rate limit over a model missing before it', [modelMissing, rateLimited('7')], 'rateLimited(7)'],
    ['a 500 over a model missing after it', [serverError, modelMissing], serverError],
    ['a 503 over a model missing before it', [modelMissing, overloaded], overloaded],
    ['a timeout over a model missing after it', [timedOut, modelMissing], timedOut],
    ['a connection failure over refused credentials', [unreachable, credentialsRefused], unreachable],
    ['the last of failures that all cannot serve', [modelMissing, credentialsRefused], credentialsRefused],
    ['the last of failures that all failed alike', [timedOut, serverError, brokeOff], brokeOff],
    ['a rate limit over an overload, either order', [rateLimited('7'), overloaded], 'rateLimited(7)'],
    ['a rate limit over an overload after it', [overloaded, rateLimited('7')], 'rateLimited(7)'],
    ['an overload over a 500, either order', [overloaded, serverError], overloaded],
    ['the shortest of two rate limits, first', [rateLimited('3'), rateLimited('7')], 'rateLimited(3)'],
    ['the shortest of two rate limits, last', [rateLimited('7'), rateLimited('3')], 'rateLimited(3)'],
    ['a rate limit that says when over one that does not', [rateLimited('30'), rateLimited()], 'rateLimited(30)'],
    ['a retry-after given as a date, read against now', [rateLimited('5'), rateLimited(new Date(NOW + 2000).toUTCString())], 'rateLimited(date)'],
    ['the later of two rate limits that say nothing of when', [rateLimited(), bedrockQuota], bedrockQuota],
  ])('keeps %s', (_, errors, expected) => {
    const failures = errors.map((error, at) => ({ error, at }));
    const kept = failures.reduce<(typeof failures)[number] | undefined>((sofar, next) => tellingFailure(sofar, next, NOW), undefined)!;
    if (typeof expected !== 'string') {
      expect(kept.error).toBe(expected);
      return;
    }
    // A rate limit is named by its retry-after: the kept one is the attempt that sent it.
    const wanted = failures.find(({ error }) => describeRateLimit(error) === expected);
    expect(wanted).toBeDefined();
    expect(kept).toBe(wanted);
  });

  it('keeps what its caller put beside the failure (the account that failed)', () => {
    const first = { error: rateLimited('7'), account: 'one' };
    const second = { error: modelMissing, account: 'two' };

    const kept = tellingFailure(tellingFailure(undefined, first, NOW), second, NOW);

    expect(kept.account).toBe('one');
  });
});

/** A rate limit's name in the table above: by its retry-after, a date's as `date`. */
function describeRateLimit(error: unknown): string | undefined {
  if (!(error instanceof GatewayError) || error.status !== 429) return undefined;
  const after = error.headers['retry-after'];
  if (after === undefined) return 'rateLimited()';
  return /^\d+$/.test(after) ? `rateLimited(${after})` : 'rateLimited(date)';
}
