import { Arn, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AccountSecret } from '../../lib/config/resolve-for-aws';

export interface ProviderSecretsProps {
  /** From `resolveForAws`: which secrets to create and which already exist. */
  secrets: readonly AccountSecret[];
}

/**
 * The Secrets Manager secrets holding provider credentials. Secrets for `{env}`/`{file}` references
 * are created empty, under deterministic names, and filled by the operator after deploy:
 *
 *   aws secretsmanager put-secret-value --secret-id aigw/<stack>/<provider>/<account> --secret-string "$OPENAI_API_KEY"
 *
 * (a JSON object instead when the config's reference names a `field`). A Bedrock account's static
 * AWS access key goes in one JSON secret per account, whatever the local references' fields were:
 *
 *   aws secretsmanager put-secret-value --secret-id aigw/<stack>/<provider>/<account>/aws-credentials \
 *     --secret-string '{"accessKeyId":"AKIA…","secretAccessKey":"…"}'
 *
 * An Azure OpenAI account's Entra ID client secret goes in `…/<account>/entra-client-secret`, or
 * `…/_provider/entra-client-secret` for the provider's `entra` (the value itself, as for an API key).
 * A Vertex AI account's service account key goes in `…/<account>/service-account-key`, the key
 * file's JSON whole (`--secret-string file://key.json`).
 *
 * Secrets named by ARN or name in the config are only imported: the stack grants read on them and
 * never touches them.
 */
export class ProviderSecrets extends Construct {
  /**
   * The secrets this stack created: API keys by `<providerId>/<accountId>`, AWS access keys by
   * `<providerId>/<accountId>/aws-credentials`, Entra ID client secrets by
   * `<providerId>/<accountId>/entra-client-secret` (`<providerId>/_provider/entra-client-secret` for a provider's),
   * Google service account keys by `<providerId>/<accountId>/service-account-key`.
   */
  readonly created = new Map<string, Secret>();
  readonly #readableArns: string[] = [];

  constructor(scope: Construct, id: string, props: ProviderSecretsProps) {
    super(scope, id);
    for (const s of props.secrets) {
      const arns = s.kind === 'create' ? [this.#create(s).secretArn] : s.kind === 'arn' ? arnPatterns(s.secret) : [this.#arnOfName(s.secret)];
      for (const arn of arns) if (!this.#readableArns.includes(arn)) this.#readableArns.push(arn);
    }
  }

  /** Lets `grantee` read the value of exactly these secrets. */
  grantRead(grantee: IGrantable): void {
    if (this.#readableArns.length === 0) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      // GetSecretValue is all Powertools Parameters calls; DescribeSecret is not needed.
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: this.#readableArns }),
    );
  }

  #create(s: AccountSecret): Secret {
    const providerScope = (this.node.tryFindChild(s.providerId) as Construct | undefined) ?? new Construct(this, s.providerId);
    const what = CREATED[s.holds];
    // An API key's secret keeps the id it always had (a new logical id would replace the secret and
    // lose its value); ":" cannot occur in an account id, so the access key's id collides with none.
    // A provider's Entra secret has no account; no account id starts with "_", so "_provider" is none of theirs.
    const owner = s.accountId ?? '_provider';
    const whose = s.accountId !== undefined ? `account "${s.accountId}" of provider "${s.providerId}"` : `the accounts of provider "${s.providerId}"`;
    const secret = new Secret(providerScope, owner + what.idSuffix, {
      secretName: s.secret,
      description: `${what.description} of ${whose} for the AI gateway; set it with put-secret-value.`,
    });
    // The L2 Secret generates a random password when given no value; a provider key cannot be
    // generated, so the secret is created empty (CloudFormation allows that) and the operator fills it.
    (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: what.noRotation });
    this.created.set(`${s.providerId}/${owner}${what.keySuffix}`, secret);
    return secret;
  }

  /** Secrets Manager appends "-" and 6 random characters to a secret's name in its ARN. */
  #arnOfName(name: string): string {
    return Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, Stack.of(this));
  }
}

/** How a created secret is named in the construct tree and described, by what it holds. */
const CREATED = {
  apiKey: {
    idSuffix: '',
    keySuffix: '',
    description: 'API key',
    noRotation: 'A third-party provider API key cannot be rotated by a Lambda rotation function; it is rotated at the provider and written with put-secret-value.',
  },
  awsCredentials: {
    idSuffix: ':aws-credentials',
    keySuffix: '/aws-credentials',
    description: 'AWS access key (JSON: accessKeyId, secretAccessKey, sessionToken?)',
    noRotation:
      'A static Bedrock access key belongs to an IAM user the operator manages, usually in another AWS account (else the Lambda role would be used); it is rotated there and written with put-secret-value.',
  },
  entraClientSecret: {
    idSuffix: ':entra-client-secret',
    keySuffix: '/entra-client-secret',
    description: 'Client secret of the Microsoft Entra ID service principal (Azure OpenAI)',
    noRotation: 'An Entra ID client secret is created and rotated in the tenant (the app registration), which a Lambda rotation function here cannot reach; it is written with put-secret-value.',
  },
  serviceAccountKey: {
    idSuffix: ':service-account-key',
    keySuffix: '/service-account-key',
    description: 'Google service account JSON key (Vertex AI; the key file whole)',
    noRotation:
      'A Google service account key is created and deleted in Google Cloud IAM, which a Lambda rotation function here cannot reach; a new key is written with put-secret-value (the gateway reads it again when Google refuses the old one).',
  },
} as const satisfies Record<AccountSecret['holds'], { idSuffix: string; keySuffix: string; description: string; noRotation: string }>;

/**
 * An ARN from the config may be complete (ends in the 6-character suffix) or partial (the name
 * only); a name can itself end in "-" and 6 characters, so the two cannot be told apart.
 * Granting both forms keeps the grant exact either way.
 */
function arnPatterns(arn: string): string[] {
  return [arn, `${arn}-??????`];
}
