import { Aws, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ConfigError } from '../../lib/config/load';
import type { GatewayConfig } from '../../lib/config/schema';
import { isBedrockRerankModel } from '../../lib/providers/bedrock/rerank';

/**
 * The prefixes of Bedrock's cross-Region (system-defined) inference profile ids: `us.` routes to US
 * Regions, `global.` to any commercial Region, and so on. A model id with none of them is a
 * foundation model (`anthropic.…`, `amazon.…`, `meta.…`: no provider is named like a geography).
 */
export const CROSS_REGION_PROFILE_PREFIXES = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'] as const;

/** The Bedrock Runtime actions the proxy calls; Converse and ConverseStream are authorised as these two. */
export const BEDROCK_INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

/**
 * The agent runtime action of `POST /rerank`. IAM authorises it on no resource type (the Service
 * Authorization Reference lists none), so only on `*`; which models it may rerank with is still
 * limited, by `bedrock:InvokeModel` on them, which Rerank also requires.
 */
export const BEDROCK_RERANK_ACTIONS = ['bedrock:Rerank'];

const RERANK_REASON =
  "bedrock:Rerank (the agent runtime's Rerank operation, which the gateway's /v1/rerank calls for Bedrock rerank models) has no resource type in IAM and is authorised on \"*\" alone; the models it may use stay limited by bedrock:InvokeModel, granted on each configured rerank model only.";

/** What the ARNs are built with: CloudFormation's pseudo parameters in the stack, plain strings in tests. */
export interface BedrockArnScope {
  partition: string;
  accountId: string;
}

/** One resource the proxy's role may invoke. */
export interface BedrockInvokeResource {
  arn: string;
  /** Why the ARN holds a wildcard (the cdk-nag acknowledgement's reason); absent when it is exact. */
  wildcardReason?: string;
}

const CROSS_REGION_REASON =
  'A cross-Region inference profile serves each request from a Region it picks among its destinations (a global. profile from any commercial Region, authorised on a Region-less ARN that this wildcard also matches), and IAM checks the foundation model in that Region: the model is exact, only its Region is open.';
const APPLICATION_PROFILE_REASON =
  "An application inference profile's ARN does not say which foundation model it wraps, and IAM checks that model as well as the profile: any foundation model of the profile's Region may be invoked, and nothing else done with it.";

/**
 * The resources the proxy's role invokes on Bedrock: for every target of a Bedrock provider, in
 * the Region of every account that target may use and that signs with the role (no
 * `awsCredentials` and no `assumeRole`: accounts with static keys or another account's role need
 * nothing of it). By the target's `model`:
 * - a foundation model id: that model in that Region;
 * - a cross-Region profile id (`us.…`, `global.…`): the profile in that Region, and its model in
 *   any Region, since the profile routes to others;
 * - an ARN: that ARN; plus, for a system-defined profile, its model in any Region, and for an
 *   application inference profile, whose model cannot be known here, every foundation model of its Region.
 * Listed once each, in config order. Pure.
 *
 * @example
 * bedrockInvokeResources(config, { partition: 'aws', accountId: '123456789012' })
 * // [{ arn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0' }, …]
 */
export function bedrockInvokeResources(config: GatewayConfig, scope: BedrockArnScope): BedrockInvokeResource[] {
  const providers = new Map(config.providers.map((p) => [p.id, p]));
  const found = new Map<string, BedrockInvokeResource>();
  for (const model of config.models) {
    for (const target of model.targets) {
      const provider = providers.get(target.provider);
      if (provider?.type !== 'bedrock') continue;
      const accounts = provider.accounts.filter((a) => signsWithTheRole(provider, a) && (!target.accounts || target.accounts.includes(a.id)));
      for (const account of accounts) {
        const region = account.region ?? provider.region;
        if (!region) throw new Error(`Bedrock provider "${provider.id}" account "${account.id}" has no region`);
        for (const r of modelResources(target.model, region, scope)) if (!found.has(r.arn)) found.set(r.arn, r);
      }
    }
  }
  return [...found.values()];
}

/**
 * Whether the proxy's role calls Rerank: a target of a Bedrock provider names a rerank model
 * (Cohere Rerank, Amazon Rerank) and may use an account that signs with the role (no access key of
 * its own, no role of another account to assume). Pure.
 *
 * @example
 * bedrockRerankUsesRole(config); // → true when a model routes to `cohere.rerank-v3-5:0` on a role-signed account
 */
export function bedrockRerankUsesRole(config: GatewayConfig): boolean {
  const providers = new Map(config.providers.map((p) => [p.id, p]));
  return config.models.some((model) =>
    model.targets.some((target) => {
      const provider = providers.get(target.provider);
      if (provider?.type !== 'bedrock' || !isBedrockRerankModel(target.model)) return false;
      return provider.accounts.some((a) => signsWithTheRole(provider, a) && (!target.accounts || target.accounts.includes(a.id)));
    }),
  );
}

function modelResources(model: string, region: string, { partition, accountId }: BedrockArnScope): BedrockInvokeResource[] {
  if (model.startsWith('arn:')) return arnResources(model);
  const underlying = withoutProfilePrefix(model);
  if (underlying === undefined) return [{ arn: `arn:${partition}:bedrock:${region}::foundation-model/${model}` }];
  return [
    { arn: `arn:${partition}:bedrock:${region}:${accountId}:inference-profile/${model}` },
    { arn: `arn:${partition}:bedrock:*::foundation-model/${underlying}`, wildcardReason: CROSS_REGION_REASON },
  ];
}

/** arn:PARTITION:bedrock:REGION:ACCOUNT:TYPE/ID, where ID may itself hold ":" (`…-v1:0`). */
function arnResources(arn: string): BedrockInvokeResource[] {
  const [, partition, , region, , ...rest] = arn.split(':');
  const resource = rest.join(':');
  const slash = resource.indexOf('/');
  const type = slash < 0 ? resource : resource.slice(0, slash);
  const id = slash < 0 ? '' : resource.slice(slash + 1);
  const own = { arn };
  if (type === 'application-inference-profile') {
    return [own, { arn: `arn:${partition}:bedrock:${region}::foundation-model/*`, wildcardReason: APPLICATION_PROFILE_REASON }];
  }
  const underlying = type === 'inference-profile' ? withoutProfilePrefix(id) : undefined;
  if (underlying === undefined) return [own];
  return [own, { arn: `arn:${partition}:bedrock:*::foundation-model/${underlying}`, wildcardReason: CROSS_REGION_REASON }];
}

/** The foundation model id behind a cross-Region profile id; undefined when `id` is not one. */
function withoutProfilePrefix(id: string): string | undefined {
  const dot = id.indexOf('.');
  const prefix = dot < 0 ? '' : id.slice(0, dot);
  return (CROSS_REGION_PROFILE_PREFIXES as readonly string[]).includes(prefix) ? id.slice(dot + 1) : undefined;
}

type BedrockProvider = Extract<GatewayConfig['providers'][number], { type: 'bedrock' }>;
type Account = BedrockProvider['accounts'][number];

/** Whether an account's Bedrock calls are signed with the proxy's own role. */
const signsWithTheRole = (provider: BedrockProvider, account: Account) => !account.awsCredentials && !(account.assumeRole ?? provider.assumeRole);

/**
 * The roles the proxy's own role assumes: the `assumeRole` of every Bedrock account (its own, else
 * its provider's) that has no `awsCredentials` (those assume theirs with that key, so the proxy's
 * role needs nothing for them). Listed once each, in config order. Pure.
 *
 * @example
 * assumedRoleArns(config) // ['arn:aws:iam::111122223333:role/aigw-bedrock', …]
 */
export function assumedRoleArns(config: GatewayConfig): string[] {
  const arns = new Set<string>();
  for (const provider of config.providers) {
    if (provider.type !== 'bedrock') continue;
    for (const account of provider.accounts) {
      const role = account.assumeRole ?? provider.assumeRole;
      if (role && !account.awsCredentials) arns.add(role.roleArn);
    }
  }
  return [...arns];
}

/** The longest session AWS gives a role assumed with another role's session ("role chaining"). */
const ROLE_CHAINING_MAX_S = 3600;

/**
 * The `durationSeconds` that STS would refuse on every call once deployed: over an hour for a role
 * assumed with the Lambda role's session, or with temporary keys (a `sessionToken`), which is role
 * chaining and capped at an hour by AWS whatever the role's maximum. Each names its field. Pure.
 *
 * @example
 * roleChainingIssues(config) // ['providers[0].accounts[1].assumeRole.durationSeconds: …']
 */
export function roleChainingIssues(config: GatewayConfig): string[] {
  const issues: string[] = [];
  config.providers.forEach((provider, i) => {
    if (provider.type !== 'bedrock') return;
    provider.accounts.forEach((account, j) => {
      const role = account.assumeRole ?? provider.assumeRole;
      if (!role?.durationSeconds || role.durationSeconds <= ROLE_CHAINING_MAX_S) return;
      if (account.awsCredentials && !account.awsCredentials.sessionToken) return;
      const field = account.assumeRole ? `providers[${i}].accounts[${j}].assumeRole.durationSeconds` : `providers[${i}].assumeRole.durationSeconds`;
      const source = account.awsCredentials ? 'temporary keys (a sessionToken)' : 'the Lambda role';
      const issue = `${field}: at most ${ROLE_CHAINING_MAX_S} seconds for account "${account.id}": a role assumed with ${source} is role chaining, which AWS limits to an hour (give the account an IAM user's access key for longer sessions)`;
      if (!issues.includes(issue)) issues.push(issue);
    });
  });
  return issues;
}

/**
 * Lets `grantee` assume exactly the roles the config's Bedrock accounts name ({@link assumedRoleArns}),
 * and nothing when they name none. Throws a `ConfigError` for durations STS would refuse
 * ({@link roleChainingIssues}). The other account's trust policy must name the grantee's role too.
 *
 * @example
 * grantAssumeRoles(proxy.fn, resolved.config);
 */
export function grantAssumeRoles(grantee: IGrantable, config: GatewayConfig): void {
  const issues = roleChainingIssues(config);
  if (issues.length > 0) throw new ConfigError('Invalid config for the stack: STS would refuse every session these roles ask for', issues);
  const arns = assumedRoleArns(config);
  if (arns.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: arns }));
}

/**
 * Lets `grantee` invoke the Bedrock models the config routes to with the role's credentials (and,
 * when one of them is a rerank model, call Rerank, on `*`), and nothing when no Bedrock account
 * uses the role. Each wildcard is acknowledged to cdk-nag on the
 * grantee's role, with its reason.
 *
 * @example
 * grantBedrockInvoke(proxy.fn, resolved.config);
 */
export function grantBedrockInvoke(grantee: IGrantable, config: GatewayConfig): void {
  const resources = bedrockInvokeResources(config, { partition: Aws.PARTITION, accountId: Aws.ACCOUNT_ID });
  if (resources.length === 0) return;
  const principal = grantee.grantPrincipal;
  principal.addToPrincipalPolicy(new PolicyStatement({ actions: BEDROCK_INVOKE_ACTIONS, resources: resources.map((r) => r.arn) }));
  // The statement lands in the role's default policy, a child of the role: cdk-nag honours an
  // acknowledgement on any ancestor of the resource. It names a finding after the resource as it
  // reads the template, pseudo parameters written <AWS::Partition>: the same computation in that
  // notation gives the same list, in order.
  const rerank = bedrockRerankUsesRole(config);
  if (rerank) principal.addToPrincipalPolicy(new PolicyStatement({ actions: BEDROCK_RERANK_ACTIONS, resources: ['*'] }));
  if (!(principal instanceof Construct)) return;
  if (rerank) Validations.of(principal).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: RERANK_REASON });
  const asNagReadsThem = bedrockInvokeResources(config, { partition: '<AWS::Partition>', accountId: '<AWS::AccountId>' });
  for (const { arn, wildcardReason } of asNagReadsThem) {
    if (wildcardReason) Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${arn}]`, reason: wildcardReason });
  }
}
