/**
 * Whether an upstream answer with this status should move the request on to the next
 * account or target: rate limits, overload, server errors, timeouts, and the gateway's own
 * credentials being refused (one misconfigured account must not fail the pool).
 */
export function shouldFailOver(status: number): boolean {
  return status === 401 || status === 403 || status === 408 || status === 409 || status === 429 || status >= 500;
}
