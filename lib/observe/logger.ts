import { Logger } from '@aws-lambda-powertools/logger';

export type GatewayLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * Structured JSON logs. Lines about a request carry its `requestId`; the gateway never logs keys,
 * secrets or prompt text.
 */
export function createLogger(options: { level?: string; serviceName?: string } = {}): Logger {
  return new Logger({
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'aigw',
    logLevel: (options.level ?? process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'INFO') as 'INFO',
  });
}

/** A logger that drops everything: for tests and benchmarks that measure without I/O. */
export const silentLogger: GatewayLogger = { debug() {}, info() {}, warn() {}, error() {} };
