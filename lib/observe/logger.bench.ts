/**
 * One access line's CPU (the line every request leaves, twenty flat fields), written by the gateway's
 * logger and by Powertools' own, interleaved round by round so a busy machine moves both alike.
 * Lines go to stdout: run with it sent to /dev/null (the figures are on stderr).
 *
 *   npx tsx lib/observe/logger.bench.ts >/dev/null
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createLogger } from './logger';

const N = 20_000;
const ROUNDS = 7;
const fields = {
  requestId: 'b3c1f0e2-6a4d-4f7e-9d2a-5c8e1f0a7b3d', surface: 'openai', keyId: 'key_01JD8Z', keyName: 'app', model: 'gpt-4o-mini',
  provider: 'openai', account: 'main', route: 'default', stream: true, status: 200, outcome: 'ok', attempts: 1, latencyMs: 312.4,
  ttftMs: 201.7, inputTokens: 1234, outputTokens: 256, cachedTokens: 0, costMicros: 420, endUser: 'u-42', params: ['temperature'],
};

function usPerLine(logger: Pick<Logger, 'info'>): number {
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) logger.info('request', fields);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

const loggers = { gateway: createLogger({ serviceName: 'aigw' }), powertools: new Logger({ serviceName: 'aigw' }) };
const times: Record<keyof typeof loggers, number[]> = { gateway: [], powertools: [] };
for (let round = 0; round < ROUNDS; round++) for (const name of ['gateway', 'powertools'] as const) times[name].push(usPerLine(loggers[name]));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const name of ['gateway', 'powertools'] as const) process.stderr.write(`${name}: ${median(times[name]).toFixed(2)} µs CPU a line (median of ${ROUNDS} rounds of ${N})\n`);
