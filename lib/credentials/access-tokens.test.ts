import { settle, TokenEndpoint } from '../../test/token-endpoint';
import { CredentialError } from './credentials';
import { AccessTokens } from './access-tokens';

/** A principal as the cache sees it: anything with a key. */
interface Principal {
  name: string;
}
const principal: Principal = { name: 'client-a' };
const MIN = 60_000;

function setup() {
  const endpoint = new TokenEndpoint<{ name: string; timeoutMs: number }>();
  let now = 1_000_000;
  const refreshFailures: string[] = [];
  const tokens = new AccessTokens<Principal>({
    keyOf: (p) => p.name,
    fetch: (p, timeoutMs) => endpoint.receive({ name: p.name, timeoutMs }),
    onRefreshFailed: (p, err) => refreshFailures.push(`${p.name}: ${(err as Error).message}`),
    now: () => now,
  });
  return {
    endpoint,
    tokens,
    refreshFailures,
    advance: (ms: number) => (now += ms),
    get: (signal?: AbortSignal) => tokens.token(principal, { timeoutMs: 10_000, signal }),
  };
}

describe('AccessTokens', () => {
  it('fetches a token once and serves it from memory until five minutes before it expires', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => t.endpoint.next();

    // Act
    const first = await t.get();
    t.advance(54 * MIN);
    const later = await t.get();

    // Assess
    expect([first, later]).toEqual(['token-1', 'token-1']);
    expect(t.endpoint.requests).toEqual([{ name: 'client-a', timeoutMs: 10_000 }]);
  });

  it('refreshes ahead of expiry: the call that finds the token due still gets it, and the next call the new one', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => t.endpoint.next();
    await t.get();
    t.advance(56 * MIN);

    // Act
    const due = await t.get();
    await settle();
    const next = await t.get();

    // Assess
    expect(due).toBe('token-1');
    expect(next).toBe('token-2');
    expect(t.endpoint.requests).toHaveLength(2);
  });

  it('refreshes a short-lived token at half its life, and makes calls wait for a new one near its end', async () => {
    // Prepare: a 10-minute token is refreshed after 5 minutes and handed out until 30 seconds before its end.
    const t = setup();
    t.endpoint.auto = () => t.endpoint.next(600);
    await t.get();

    // Act
    t.advance(4 * MIN);
    const young = await t.get();
    t.endpoint.auto = undefined;
    t.advance(5.6 * MIN);
    const waiting = t.get();
    await settle();
    const issued = t.endpoint.issue(600);

    // Assess
    expect(young).toBe('token-1');
    expect(await waiting).toBe(issued);
    expect(t.endpoint.requests).toHaveLength(2);
  });

  it('sends one request for calls that need a token at once, and gives them all its token', async () => {
    // Prepare
    const t = setup();

    // Act
    const calls = Array.from({ length: 5 }, () => t.get());
    await settle();
    const issued = t.endpoint.issue();

    // Assess
    expect(await Promise.all(calls)).toEqual(Array(5).fill(issued));
    expect(t.endpoint.requests).toHaveLength(1);
  });

  it('does not keep a failure: the calls waiting get it, the next call asks again', async () => {
    // Prepare
    const t = setup();
    const calls = [t.get(), t.get()];
    await settle();

    // Act
    t.endpoint.refuse(new CredentialError('cannot reach the token endpoint: connect ECONNREFUSED'));
    const results = await Promise.allSettled(calls);
    const retry = t.get();
    await settle();
    const issued = t.endpoint.issue();

    // Assess
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await retry).toBe(issued);
    expect(t.endpoint.requests).toHaveLength(2);
  });

  it('keeps serving a token whose background refresh failed while it is still good, and tells of the failure', async () => {
    // Prepare
    const t = setup();
    const first = t.get();
    await settle();
    t.endpoint.issue();
    await first;
    t.advance(56 * MIN);

    // Act
    const due = await t.get();
    await settle();
    t.endpoint.refuse(new CredentialError('cannot reach the token endpoint: no answer within 10000 ms'));
    await settle();
    const after = await t.get();
    await settle();
    t.advance(30_000);
    const later = await t.get();
    await settle();

    // Assess: the failed refresh was not kept, so a call 30 seconds on started another; the failure was told.
    expect([due, after, later]).toEqual(['token-1', 'token-1', 'token-1']);
    expect(t.endpoint.requests).toHaveLength(3);
    expect(t.refreshFailures).toEqual(['client-a: cannot reach the token endpoint: no answer within 10000 ms']);
  });

  it('after a failed background refresh, lets the token endpoint be for 30 seconds before asking again, the token serving meanwhile', async () => {
    // Prepare: a token in its refresh window, and an endpoint that answers every request at once with a 503.
    const t = setup();
    const first = t.get();
    await settle();
    t.endpoint.issue();
    await first;
    t.advance(56 * MIN);
    t.endpoint.auto = () => {
      throw new CredentialError('the token endpoint refused the request (503 temporarily_unavailable)');
    };

    // Act: a busy gateway's calls, one after another.
    const served: string[] = [];
    for (let i = 0; i < 20; i++) {
      served.push(await t.get());
      await settle();
      t.advance(1_000);
    }
    const beforeRetry = t.endpoint.requests.length;
    t.advance(10_000);
    served.push(await t.get());
    await settle();

    // Assess: one refresh in the first 30 seconds, not one per call; the next after them.
    expect(served.every((token) => token === 'token-1')).toBe(true);
    expect(beforeRetry).toBe(2);
    expect(t.endpoint.requests).toHaveLength(3);
    expect(t.refreshFailures).toHaveLength(2);
  });

  it('drops a refused token at most once a minute: a refusal a new token does not mend (no role on the resource) costs no token request per call', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => t.endpoint.next();
    await t.get();

    // Act: the upstream answers 403 to every call, twelve in a minute, then one more.
    const served: string[] = [];
    for (let i = 0; i < 12; i++) {
      t.tokens.forget(principal);
      served.push(await t.get());
      t.advance(5_000);
    }
    t.tokens.forget(principal);
    const after = await t.get();

    // Assess
    expect(new Set(served)).toEqual(new Set(['token-2']));
    expect(after).toBe('token-3');
    expect(t.endpoint.requests).toHaveLength(3);
  });

  it('fetches a new token after forget (the upstream refused the one it had)', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => t.endpoint.next();
    await t.get();

    // Act
    t.tokens.forget(principal);
    const next = await t.get();

    // Assess
    expect(next).toBe('token-2');
  });

  it('stops waiting when the call’s signal aborts, and the token still serves the calls after it', async () => {
    // Prepare
    const t = setup();
    const deadline = new AbortController();
    const impatient = t.get(deadline.signal);
    const patient = t.get();
    await settle();

    // Act
    deadline.abort(new Error('deadline'));
    await expect(impatient).rejects.toThrow('deadline');
    const issued = t.endpoint.issue();

    // Assess
    expect(await patient).toBe(issued);
    expect(await t.get()).toBe(issued);
    expect(t.endpoint.requests).toHaveLength(1);
  });

  it('keeps tokens apart per key, and shares one between principals of the same key', async () => {
    // Prepare
    const t = setup();
    t.endpoint.auto = () => t.endpoint.next();

    // Act
    const got = [
      await t.tokens.token(principal, { timeoutMs: 1 }),
      await t.tokens.token({ name: 'client-b' }, { timeoutMs: 1 }),
      await t.tokens.token({ name: 'client-a' }, { timeoutMs: 1 }),
    ];

    // Assess
    expect(got).toEqual(['token-1', 'token-2', 'token-1']);
  });
});
