import { join, resolve } from 'node:path';
import { ConfigError, loadLocalConfig } from '../config/load';
import { createLogger } from '../observe/logger';
import { LogNotifier, type BudgetNotifier } from '../alerts/notifier';
import { WebhookNotifier, everyNotifier } from '../alerts/webhook';
import type { GatewayLogger } from '../observe/logger';
import { auditSinkFromEnvironment } from '../audit/from-env';
import { AuditFileExpiry } from '../audit/file-expiry';
import { FileAuditSink } from '../audit/file-sink';
import { tableNameFromEnvironment } from '../store/table-name';
import { localAdminToken } from './admin-token';
import { cliCommand } from './cli-hint';
import { missingVariableLines, missingVariables } from './missing-env';
import { ListenAddressError, listenAddress, listenFailureMessage, type ListenAddress } from './listen';
import { unpricedModels, unpricedModelsLine } from './unpriced';
import { DEFAULT_TABLE_NAME, startLocalGateway, type LocalGatewayOptions } from './start';

// Local runs happen on Node 20 too; the SDK's warning about its future Node 22 floor is noise there.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** `npm start`: the gateway on http://127.0.0.1:8787 with everything it needs in-process. */
async function main(env: NodeJS.ProcessEnv): Promise<void> {
  let loaded;
  let tableName: string;
  let address: ListenAddress;
  try {
    loaded = loadLocalConfig(env);
    // Checked before the store is touched: a name DynamoDB refuses would fail every call, at any endpoint.
    tableName = tableNameFromEnvironment(env, DEFAULT_TABLE_NAME);
    address = listenAddress(env);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ListenAddressError) {
      process.stderr.write(`aigw: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const dataDir = resolve(env.GATEWAY_DATA_DIR || '.data');
  const admin = localAdminToken(env, dataDir);
  const endpoint = env.DYNAMODB_ENDPOINT;
  const store: LocalGatewayOptions['store'] = !endpoint ? { embedded: join(dataDir, 'dynamodb') } : endpoint === 'aws' ? { aws: true } : { endpoint };
  const logger = createLogger();
  const webhook = env.GATEWAY_ALERT_WEBHOOK;
  let notifier: BudgetNotifier;
  try {
    notifier = alertNotifier(webhook, logger);
  } catch (err) {
    process.stderr.write(`aigw: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // Made only when the config audits: the data dir, or the bucket GATEWAY_AUDIT_BUCKET names.
  const auditSink = loaded.config.audit.mode === 'off' ? undefined : auditSinkFromEnvironment(env, dataDir);
  const local = await startLocalGateway({
    config: loaded.config,
    adminToken: admin.token,
    ...address,
    store,
    tableName,
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    logger,
    budgetAlerts: { notifier },
    ...(auditSink ? { audit: () => auditSink } : {}),
  }).catch((err: unknown) => {
    const message = listenFailureMessage(err, address);
    if (message === undefined) throw err;
    process.stderr.write(`aigw: ${message}\n`);
    process.exit(1);
  });
  const { config } = loaded;
  // Records in the data dir expire after retentionDays, as the bucket's lifecycle expires them on AWS.
  const expiry = auditSink instanceof FileAuditSink ? new AuditFileExpiry({ auditDir: auditSink.description, retentionDays: config.audit.retentionDays, logger }) : undefined;
  expiry?.start();
  process.stdout.write(
    [
      `aigw listening on ${local.url}`,
      `  config: ${loaded.source} (${config.providers.length} provider(s); models: ${config.models.map((m) => m.name).join(', ')})`,
      `  store:  ${local.storeDescription}`,
      `  admin:  ${local.url}/admin/ (token from ${admin.source})`,
      `  audit:  ${auditSink ? `${config.audit.mode}: request and response bodies to ${auditSink.description}${expiry ? `, kept ${config.audit.retentionDays} days` : ''}` : 'off'}`,
      `  alerts: budgets checked every minute; alerts go to the log${webhook ? ` and to ${new URL(webhook).origin} (GATEWAY_ALERT_WEBHOOK)` : ''}`,
      ...[unpricedModelsLine(unpricedModels(config))].filter((line) => line !== undefined),
      // The example's own note below says the same of its keys, in one line.
      ...(loaded.example ? [] : missingVariableLines(missingVariables(config, env))),
      ...(loaded.example
        ? [`  NOTE:   no gateway.config.json and no provider key in the environment: calls will answer 502 until the`, `          example's providers have keys (export OPENAI_API_KEY=…, or write gateway.config.json).`]
        : []),
      `Create a key:  ${cliCommand('keys create --name me', { url: local.url, dataDir, cwd: process.cwd(), tokenFromEnv: admin.source === 'GATEWAY_ADMIN_TOKEN' })}`,
      `Then call it:  curl ${local.url}/v1/chat/completions -H "Authorization: Bearer <key>" -H 'content-type: application/json' \\`,
      `                 -d '{"model":"${config.models[0]!.name}","messages":[{"role":"user","content":"Hello"}]}'`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await expiry?.stop();
    await local.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/** Budget alerts go to the log, and to `GATEWAY_ALERT_WEBHOOK` as JSON when it is set. */
function alertNotifier(webhook: string | undefined, logger: GatewayLogger): BudgetNotifier {
  const log = new LogNotifier(logger);
  if (!webhook) return log;
  let url: URL;
  try {
    url = new URL(webhook);
  } catch {
    throw new Error(`GATEWAY_ALERT_WEBHOOK is not a URL: ${webhook}`);
  }
  return everyNotifier([log, new WebhookNotifier(url)]);
}

main(process.env).catch((err: unknown) => {
  process.stderr.write(`aigw: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
