import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminApi } from '../admin/api';
import { policyNamesOf } from '../admin/shared';
import { usageReports } from '../jobs/rollup';
import type { AccountLoad } from '../routing/account-load';
import type { AccountHealth } from '../routing/health';
import type { GatewayConfig } from '../config/schema';
import type { Credentials } from '../credentials/credentials';
import { LocalCredentials } from '../credentials/local';
import { createGateway, type Gateway } from '../gateway';
import type { GatewayLogger } from '../observe/logger';
import { silentLogger } from '../observe/logger';
import { ensureTable } from '../store/create-table';
import { createTableRef, type TableRef } from '../store/dynamo';
import { DynamoKeyStore } from '../store/keys';
import { DynamoTeamStore } from '../store/teams';
import { tableSpendReader } from '../store/budget-reads';
import { DynamoRateWindows } from '../store/rate-windows';
import { DynamoSpendStore } from '../store/spend';
import { DynamoHealthStore } from '../store/health';
import { DynamoUsageSink } from '../store/usage';
import { DynamoResponseCache } from '../store/response-cache';
import { DynamoStoredHomes } from '../store/stored-homes';
import { startDynalite, type EmbeddedDynamo } from './dynalite';
import { createLocalServer } from './server';
import { CorsPolicy } from '../http/cors';
import { LogNotifier, type BudgetNotifier } from '../alerts/notifier';
import { LOCAL_ALERTS_INTERVAL_MS, scheduleEvery } from '../alerts/schedule';
import { runBudgetAlerts } from '../jobs/budget-alerts';
import { EndUserBudgetAlerts } from '../alerts/end-users';
import type { AuditSink } from '../audit/log';
import { usageLossReporter } from '../observe/lost-records';

export interface LocalGatewayOptions {
  config: GatewayConfig;
  adminToken: string;
  port?: number;
  host?: string;
  /**
   * Where the table lives: `{ embedded: dir }` starts dynalite in this process (data kept in
   * `dir`, or in memory when `dir` is undefined); `{ endpoint }` uses a running DynamoDB-compatible
   * endpoint (shared by several gateways), `{ aws: true }` the real table in the account.
   */
  store: { embedded: string | undefined } | { endpoint: string; socketTimeoutMs?: number } | { aws: true };
  tableName?: string;
  region?: string;
  credentials?: Credentials;
  logger?: GatewayLogger;
  /** Epoch ms: the gateway's clock (tests fix it so that a rate window cannot turn mid-test). */
  now?: () => number;
  /** Which accounts rest after failing (tests hold it to start cases from a healthy pool). */
  health?: AccountHealth;
  /** Calls in flight and latencies per account (tests hold it to see every call given back). */
  load?: AccountLoad;
  /** Share rests with other gateways on the same table (default); tests that clear `health` between cases turn it off. */
  shareHealth?: boolean;
  /**
   * Budget alerts, checked on a timer in this process as the stack's schedule does on AWS, and
   * end users' by the gateway as their calls settle: delivered to the log unless a notifier is
   * given; `false` turns both off.
   */
  budgetAlerts?: { intervalMs?: number; notifier?: BudgetNotifier } | false;
  /** Where audit records go when the config's `audit.mode` is not `off` (`npm start`: the data dir, or GATEWAY_AUDIT_BUCKET). */
  audit?: () => AuditSink;
  /** How long a stream drained after an emulated stop may stay quiet before a keep-alive goes (ms; 15 s when absent): tests shorten it. */
  keepAliveMs?: number;
}

export interface LocalGateway {
  url: string;
  port: number;
  server: Server;
  gateway: Gateway;
  table: TableRef;
  storeDescription: string;
  close(): Promise<void>;
}

/** The table of a local server not told another (`GATEWAY_TABLE_NAME`). */
export const DEFAULT_TABLE_NAME = 'aigw';

/** The whole gateway on node:http, as `npm start` runs it and as the integration tests use it. */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  // What has started, last first: a start that fails half-way closes it before it rethrows, so a
  // caller that goes on (a test, an embedding app) is left no store thread or server to keep it alive.
  const started: (() => unknown)[] = [];
  try {
    return await startAll(options, started);
  } catch (err) {
    for (const close of started.reverse()) {
      try {
        await close();
      } catch {
        // The start's own failure is the one to report.
      }
    }
    throw err;
  }
}

async function startAll(options: LocalGatewayOptions, started: (() => unknown)[]): Promise<LocalGateway> {
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  let dynamo: EmbeddedDynamo | undefined;
  let table: TableRef;
  let storeDescription: string;
  if ('embedded' in options.store) {
    const store = await startDynalite({ thread: true, ...(options.store.embedded ? { path: options.store.embedded } : {}) });
    started.push(() => store.close());
    dynamo = store;
    table = createTableRef({ tableName, endpoint: dynamo.endpoint });
    storeDescription = options.store.embedded ? `embedded dynalite, data in ${options.store.embedded}` : 'embedded dynalite, in memory';
  } else if ('endpoint' in options.store) {
    table = createTableRef({ tableName, endpoint: options.store.endpoint, ...(options.store.socketTimeoutMs ? { socketTimeoutMs: options.store.socketTimeoutMs } : {}), ...(options.region ? { region: options.region } : {}) });
    storeDescription = `DynamoDB endpoint ${options.store.endpoint}, table ${tableName}`;
  } else {
    table = createTableRef({ tableName, ...(options.region ? { region: options.region } : {}) });
    storeDescription = `DynamoDB table ${tableName} in AWS`;
  }
  const client = table.client;
  started.push(() => client.destroy());
  if (!('aws' in options.store)) await ensureTable(table);

  const logger = options.logger ?? silentLogger;
  const keys = new DynamoKeyStore(table);
  const teams = new DynamoTeamStore(table);
  const usage = new DynamoUsageSink(table, {
    retentionDays: options.config.usage.retentionDays,
    ...(dynamo?.writeBatch ? { writeBatch: dynamo.writeBatch } : {}),
    onError: usageLossReporter(logger),
  });
  const alertsOptions = options.budgetAlerts === false ? undefined : (options.budgetAlerts ?? {});
  const notifier = alertsOptions && (alertsOptions.notifier ?? new LogNotifier(logger));
  // End users' budget alerts go where the job's go, from the gateway itself (the job cannot list end users).
  const endUserAlerts = notifier && new EndUserBudgetAlerts({ table, notifier, thresholds: options.config.alerts.budgetThresholds, logger, ...(options.now ? { now: options.now } : {}) });
  const gateway = createGateway({ config: options.config, keys, teams, ...(endUserAlerts ? { endUserAlerts } : {}), rates: new DynamoRateWindows(table), spend: new DynamoSpendStore(table), ...(options.shareHealth === false ? {} : { healthStore: new DynamoHealthStore(table) }), usage, responseCache: new DynamoResponseCache(table), storedHomes: new DynamoStoredHomes(table, options.now), credentials: options.credentials ?? new LocalCredentials(), logger, ...(options.now ? { now: options.now } : {}), ...(options.health ? { health: options.health } : {}), ...(options.load ? { load: options.load } : {}), ...(options.audit ? { audit: options.audit } : {}), ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}) });
  // The admin API, reports and alerts tell time by the gateway's clock (tests move it).
  const dateNow = () => new Date((options.now ?? Date.now)());
  started.push(() => gateway.close());
  const admin = createAdminApi({ keys, teams, token: options.adminToken, now: dateNow, reports: usageReports({ table, keys, now: dateNow }), spend: tableSpendReader(table), names: policyNamesOf(options.config) });
  const cors = CorsPolicy.from(options.config.cors);
  const server = createLocalServer({ gateway, admin, logger, ...(cors ? { cors } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const alerts =
    alertsOptions &&
    notifier &&
    scheduleEvery(
      alertsOptions.intervalMs ?? LOCAL_ALERTS_INTERVAL_MS,
      () => runBudgetAlerts({ table, keys, teams, notifier, thresholds: options.config.alerts.budgetThresholds, now: dateNow, logger }),
      logger,
    );
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    gateway,
    table,
    storeDescription,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams still open get a moment to end, then are cut.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await alerts?.stop();
      await gateway.close();
      table.client.destroy();
      await dynamo?.close();
    },
  };
}
