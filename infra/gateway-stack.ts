import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { policyNamesOf } from '../lib/admin/shared';
import { resolveForAws } from '../lib/config/resolve-for-aws';
import type { GatewayConfig } from '../lib/config/schema';
import { AdminFunction } from './constructs/admin-function';
import { AuditBucket } from './constructs/audit-bucket';
import { BudgetAlertsFunction } from './constructs/budget-alerts-function';
import { grantAssumeRoles, grantBedrockInvoke } from './constructs/bedrock-access';
import { GatewayTable } from './constructs/gateway-table';
import { Observability } from './constructs/observability';
import { ProviderSecrets } from './constructs/provider-secrets';
import { ProxyFunction } from './constructs/proxy-function';
import { RollupFunction } from './constructs/rollup-function';

export interface GatewayStackProps extends StackProps {
  /** The validated gateway config, with credential references as the operator wrote them. */
  config: GatewayConfig;
  /** Who gets the alarms by email (`-c alarmEmail=…`, see alarm-email.ts). */
  alarmEmails?: readonly string[];
}

/** The whole gateway: table, provider secrets, the streaming proxy, the admin API, the usage roll-up, budget alerts, and their metrics, alarms and dashboard. */
export class GatewayStack extends Stack {
  readonly table: GatewayTable;
  readonly secrets: ProviderSecrets;
  readonly proxy: ProxyFunction;
  readonly admin: AdminFunction;
  readonly rollup: RollupFunction;
  readonly budgetAlerts: BudgetAlertsFunction;
  readonly observability: Observability;
  /** Where the audit log's records go; only when the config's `audit.mode` is not `off`. */
  readonly audit?: AuditBucket;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const resolved = resolveForAws(props.config, this.stackName);

    this.table = new GatewayTable(this, 'Storage');
    this.secrets = new ProviderSecrets(this, 'ProviderSecrets', { secrets: resolved.secrets });

    this.proxy = new ProxyFunction(this, 'Proxy', { table: this.table, config: resolved.config });
    this.table.grantItemReadWrite(this.proxy.fn);
    this.table.grantBatchWrite(this.proxy.fn); // usage records
    this.secrets.grantRead(this.proxy.fn);
    grantBedrockInvoke(this.proxy.fn, resolved.config); // Bedrock accounts that sign with the role
    grantAssumeRoles(this.proxy.fn, resolved.config); // Bedrock accounts in other AWS accounts, by their roles
    if (resolved.config.audit.mode !== 'off') {
      this.audit = new AuditBucket(this, 'Audit', { audit: resolved.config.audit });
      this.audit.bindWriter(this.proxy.fn); // PutObject on audit/* and GATEWAY_AUDIT_BUCKET
    }

    this.admin = new AdminFunction(this, 'Admin', { table: this.table, policyNames: policyNamesOf(resolved.config) }); // a key or team may name only these
    this.table.grantItemReadWrite(this.admin.fn);
    this.table.grantTeamDelete(this.admin.fn); // DELETE /admin/teams/{id}
    this.table.grantKeyItemDelete(this.admin.fn); // POST /admin/keys/{id}/rotate
    this.table.grantBatchRead(this.admin.fn); // keys' and teams' spend against their budgets

    this.rollup = new RollupFunction(this, 'Rollup', { table: this.table });
    this.table.grantQueryAndPut(this.rollup.fn);

    this.budgetAlerts = new BudgetAlertsFunction(this, 'BudgetAlerts', { table: this.table, thresholds: resolved.config.alerts.budgetThresholds });
    this.table.grantBudgetWatch(this.budgetAlerts.fn);

    this.observability = new Observability(this, 'Observability', { proxy: this.proxy, rollup: this.rollup.fn, budgetAlerts: this.budgetAlerts.fn, table: this.table, alarmEmails: props.alarmEmails ?? [] });
    // The alarms' topic: whoever subscribed to hear about the gateway hears about budgets too.
    this.budgetAlerts.publishTo(this.observability.topic);
    // End users' alerts come from the proxy itself (see ProxyFunction.publishTo).
    this.proxy.publishTo(this.observability.topic);

    new CfnOutput(this, 'ProxyUrl', { value: this.proxy.url.url, description: 'Base URL for clients: <ProxyUrl>v1' });
    new CfnOutput(this, 'ProxyRoleArn', { value: this.proxy.fn.role!.roleArn, description: 'The role that Bedrock roles in other AWS accounts (assumeRole) must trust' });
    new CfnOutput(this, 'AdminUrl', { value: this.admin.url.url, description: 'Admin API (SigV4-signed requests only)' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'DashboardUrl', { value: this.observability.dashboardUrl, description: 'Requests, latency, tokens, cost, the proxy function and the table' });
    if (this.audit) new CfnOutput(this, 'AuditBucketName', { value: this.audit.bucketName, description: 'Audit log of request and response bodies (audit/YYYY/MM/DD/HH/<requestId>.json.gz): holds prompts and answers, treat as sensitive' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn, description: 'Alarms and budget alerts: subscribe here (or deploy with -c alarmEmail=you@example.com)' });
  }
}
