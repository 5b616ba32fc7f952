/** A token as a token endpoint issues it (Entra ID's, say): what `AccessTokens` and `EntraTokens` fetch. */
export interface IssuedTestToken {
  accessToken: string;
  expiresInS: number;
}

const HOUR_S = 3600;

/**
 * A token endpoint under the test's hand: each request (`R`, what the test keeps of it) waits until
 * answered by `issue` or `refuse`, or is answered at once by `auto`. Tokens are numbered in the
 * order issued: `token-1`, `token-2`, …
 *
 * @example
 * const endpoint = new TokenEndpoint<{ name: string }>();
 * const tokens = new AccessTokens({ fetch: (p) => endpoint.receive({ name: p.name }), … });
 * const first = tokens.token(p, { timeoutMs: 10_000 });
 * await settle();
 * endpoint.issue(); // 'token-1', an hour's
 */
export class TokenEndpoint<R> {
  readonly requests: R[] = [];
  readonly #waiting: { resolve: (t: IssuedTestToken) => void; reject: (e: Error) => void }[] = [];
  auto: (() => IssuedTestToken) | undefined;
  issued = 0;

  /** One request to the endpoint: kept in `requests`, answered later (or at once by `auto`). */
  receive(request: R): Promise<IssuedTestToken> {
    this.requests.push(request);
    if (this.auto) return Promise.resolve(this.auto());
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** The next token of `expiresInS`, numbered: for `auto`. */
  next(expiresInS = HOUR_S): IssuedTestToken {
    return { accessToken: `token-${++this.issued}`, expiresInS };
  }

  /** Answers the oldest waiting request with the next token of `expiresInS`; its value. */
  issue(expiresInS = HOUR_S): string {
    const token = this.next(expiresInS);
    this.#waiting.shift()!.resolve(token);
    return token.accessToken;
  }

  /** Fails the oldest waiting request with `err`. */
  refuse(err: Error): void {
    this.#waiting.shift()!.reject(err);
  }
}

/** Lets the promise callbacks already due run (a fetch resolving its secret, then sending). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
