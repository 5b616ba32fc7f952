import type { GatewayLogger } from '../../lib/observe/logger';

/**
 * A quiet logger that keeps what each access log `request` line said ordered the call's pool
 * (`balancedBy`), for the balancing tests to read.
 *
 * @example
 * const { logger, balancedBy } = balancedByLog();
 * // … calls through a gateway started with `logger` …
 * expect(balancedBy).toEqual(['latency', 'explore']);
 */
export function balancedByLog(): { logger: GatewayLogger; balancedBy: unknown[] } {
  const balancedBy: unknown[] = [];
  const quiet = () => {};
  const logger: GatewayLogger = {
    debug: quiet,
    info: (...args: unknown[]) => void (args[0] === 'request' && balancedBy.push((args[1] as { balancedBy?: unknown }).balancedBy)),
    warn: quiet,
    error: quiet,
  };
  return { logger, balancedBy };
}
