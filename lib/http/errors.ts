/** The error classes a client can be told about; each surface maps them to its own error body. */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_too_large'
  | 'rate_limit'
  | 'upstream_error'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'overloaded'
  | 'internal';

const STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_too_large: 413,
  rate_limit: 429,
  upstream_error: 502,
  upstream_unavailable: 502,
  upstream_timeout: 504,
  overloaded: 503,
  internal: 500,
};

export interface GatewayErrorOptions {
  /** The request field at fault, e.g. `messages[0].role`. */
  param?: string;
  /** A machine-readable code, e.g. `invalid_api_key`, `model_not_found`. */
  code?: string;
  /** Overrides the kind's usual status (an upstream 4xx keeps its own). */
  status?: number;
  /** Headers to send with the error (retry-after, allow). */
  headers?: Record<string, string>;
  /**
   * What the operator needs to mend it and a key holder must not see (a role ARN, a tenant, a
   * service account, a host, a secret's name, an upstream's own words about the gateway's
   * credentials): written to the request's log lines, never into a response body.
   */
  detail?: string;
  cause?: unknown;
}

/** The one error type of the gateway: thrown anywhere, turned into a response once, by the surface. */
export class GatewayError extends Error {
  readonly status: number;
  readonly param: string | undefined;
  readonly code: string | undefined;
  readonly headers: Record<string, string>;
  /** For the log only (see `GatewayErrorOptions.detail`); the surfaces never read it. */
  readonly detail: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = options.status ?? STATUS[kind];
    this.param = options.param;
    this.code = options.code;
    this.headers = options.headers ?? {};
    this.detail = options.detail;
  }
}

/** Anything thrown, as a GatewayError; unknown errors become a 500 that reveals nothing. */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal', 'The gateway failed to handle this request.', { cause: err });
}

/**
 * The kind of error an upstream's HTTP status stands for. The status itself is kept for the
 * caller (529, which clients and proxies do not know, becomes 503).
 */
export function upstreamErrorKind(status: number): ErrorKind {
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request';
    case 404:
      return 'not_found';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit';
    case 503:
    case 529:
      return 'overloaded';
    case 504:
      return 'upstream_timeout';
  }
  return status >= 500 ? 'upstream_error' : 'invalid_request';
}

/** An upstream error with the caller's status: the upstream's own, 529 turned into 503. */
export function upstreamError(status: number, message: string, options: Omit<GatewayErrorOptions, 'status'> = {}): GatewayError {
  return new GatewayError(upstreamErrorKind(status), message, { ...options, status: status === 529 ? 503 : status });
}

/**
 * The upstream refused the gateway's own credentials: the operator's problem, not the caller's,
 * so a 502 (and the pipeline fails over to another account). The upstream's own words (which may
 * quote part of the key, an ARN or a project) go to the log only.
 *
 * @example
 * upstreamAuthFailed('anth', '401', 'invalid x-api-key')
 * // message: 'The upstream provider "anth" rejected the gateway\'s credentials (401).', detail: 'invalid x-api-key'
 */
export function upstreamAuthFailed(providerId: string, label: string, upstreamMessage: string): GatewayError {
  return new GatewayError('upstream_error', `The upstream provider "${providerId}" rejected the gateway's credentials (${label}).`, {
    code: 'upstream_auth_failed',
    detail: upstreamMessage,
  });
}

const UNTRANSLATABLE = 'untranslatable';

/**
 * A feature of the client's API that the canonical form cannot carry to another provider. The
 * decoder knows the field, the pipeline knows the target: `forTarget` words the refusal.
 */
export function untranslatable(param: string, what: string): GatewayError {
  return new GatewayError('invalid_request', what, { param, code: UNTRANSLATABLE });
}

/** Names the provider in a refusal from `untranslatable`; other errors pass unchanged. */
export function forTarget(err: unknown, provider: { id: string; type: string }): unknown {
  if (!(err instanceof GatewayError) || err.code !== UNTRANSLATABLE) return err;
  return new GatewayError('invalid_request', `${err.message} (${err.param}) is not supported by provider type ${provider.type} (provider "${provider.id}").`, {
    ...(err.param ? { param: err.param } : {}),
    code: 'unsupported_parameter',
  });
}
