import { z } from 'zod';
import { DEFAULT_BUDGET_THRESHOLDS } from '../alerts/thresholds';
import { DEFAULT_UPSTREAM_EVENT_BYTES } from '../upstream/event-bound';
import { OWNERLESS_AFTER_SECONDS, OWNERLESS_MIN_SECONDS } from '../routing/response-homes';
import { DEFAULT_STREAM_HOLD_MAX, DEFAULT_STREAM_WINDOW, GuardrailsSchema, MAX_GUARDRAIL_SETS, setNameProblem } from '../guardrails/config';

/**
 * Where a credential comes from. Configs hold references only, never values:
 * `env` and `file` for local runs, `secret` (a Secrets Manager name or ARN) on AWS.
 * `field` picks one key out of a JSON secret or file.
 */
export const CredentialRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }),
  z.strictObject({ secret: z.string().min(1), field: z.string().min(1).optional() }),
  z.strictObject({ file: z.string().min(1), field: z.string().min(1).optional() }),
]);
export type CredentialRef = z.infer<typeof CredentialRefSchema>;

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "_", "." or "-" (at most 64)');

/**
 * An IAM role's ARN in the commercial, China or GovCloud partition, with an optional path. No
 * wildcards: the ARN goes into the proxy role's `sts:AssumeRole` statement as it is written.
 */
export const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/**
 * A role in another AWS account that a Bedrock account's calls are made as (STS AssumeRole), with
 * STS's own limits on each field.
 */
export const AssumeRoleSchema = z.strictObject({
  roleArn: z.string().max(2048).regex(ROLE_ARN, 'an IAM role ARN such as arn:aws:iam::123456789012:role/aigw-bedrock (partition aws, aws-cn or aws-us-gov)'),
  /** The secret the role's trust policy asks for (`sts:ExternalId`), when it asks for one. */
  externalId: z
    .string()
    .min(2, 'an external id of at least 2 characters')
    .max(1224, 'an external id of at most 1224 characters')
    .regex(/^[\w+=,.@:/-]+$/, 'an external id of letters, digits and +=,.@:/-_ only')
    .optional(),
  /** The session's name, seen in the other account's CloudTrail; `aigw-<provider>-<account>` by default. */
  sessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/, 'a session name of 2 to 64 letters, digits or +=,.@-_').optional(),
  /** How long each set of credentials lasts (900 to 43200 seconds, within the role's maximum); 3600 by default. */
  durationSeconds: z.number().int().min(900, 'at least 900 seconds (STS’s minimum)').max(43200, 'at most 43200 seconds (12 hours, STS’s maximum)').optional(),
});
export type AssumeRoleConfig = z.infer<typeof AssumeRoleSchema>;
/** Entra's defaults: the public cloud's authority, and the scope of Azure AI services (Azure OpenAI among them). */
export const ENTRA_DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const ENTRA_DEFAULT_SCOPE = 'https://cognitiveservices.azure.com/.default';

/**
 * Microsoft Entra ID instead of an API key (Azure OpenAI resources with key auth disabled): the
 * client-credentials flow of a service principal, which needs the "Cognitive Services OpenAI
 * User" role on the resource. `authorityHost` is the cloud's login host (sovereign clouds:
 * https://login.microsoftonline.us, https://login.chinacloudapi.cn).
 */
const EntraSchema = z.strictObject({
  tenantId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$/, 'a tenant id (a GUID) or domain (contoso.onmicrosoft.com)'),
  clientId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/, 'the application (client) id, a GUID'),
  clientSecret: CredentialRefSchema,
  authorityHost: z.url({ protocol: /^https?$/ }).default(ENTRA_DEFAULT_AUTHORITY_HOST),
  // The client-credentials flow asks for a resource's app permissions (`<resource>/.default`); Entra refuses any other scope.
  scope: z
    .string()
    .regex(/^\S+\/\.default$/, 'a scope ending in "/.default", as the client-credentials flow asks (https://cognitiveservices.azure.com/.default)')
    .default(ENTRA_DEFAULT_SCOPE),
});
export type EntraConfig = z.infer<typeof EntraSchema>;

/** A Google Cloud project id (6 to 30 lower-case letters, digits or "-"), or a legacy domain-scoped one (example.com:my-project). */
export const GCP_PROJECT = /^(?:[a-z][a-z0-9.-]{0,62}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A Google Cloud region (us-east5, europe-west1, asia-northeast1), or Vertex AI's `global` endpoint, or its `us` and `eu` multi-regions. */
export const GCP_REGION = /^(?:global|us|eu|[a-z]+-[a-z]+\d+)$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const GcpProject = z.string().regex(GCP_PROJECT, 'a Google Cloud project id such as my-project-123 (6 to 30 lower-case letters, digits or "-")');
const GcpRegion = z.string().regex(GCP_REGION, 'a Google Cloud region such as us-east5 or europe-west1, or "global", "us" or "eu"');

const AccountSchema = z.strictObject({
  id: Id,
  apiKey: CredentialRefSchema.optional(),
  /** Relative share of traffic within the provider's pool. */
  weight: z.number().int().positive().max(1000).default(1),
  /** Extra headers sent upstream with every request on this account (e.g. OpenAI-Organization). */
  headers: z.record(z.string(), z.string()).optional(),
  /** This account's endpoint, where accounts of one provider live at different URLs (Azure resources). */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** AWS region (Bedrock) or Google Cloud region (Vertex AI): each account may serve from its own. */
  region: z
    .string()
    .regex(new RegExp(`${AWS_REGION.source}|${GCP_REGION.source}`), 'an AWS region such as us-east-1 (Bedrock) or a Google Cloud region such as us-east5 (Vertex AI)')
    .optional(),
  /** Bedrock with static credentials instead of the Lambda role's (the role is used when absent). */
  awsCredentials: z
    .strictObject({
      accessKeyId: CredentialRefSchema,
      secretAccessKey: CredentialRefSchema,
      sessionToken: CredentialRefSchema.optional(),
    })
    .optional(),
  /**
   * Bedrock in another AWS account: its calls are made as this role, assumed with the account's
   * `awsCredentials` when it has them, else with the gateway's own (the Lambda role).
   */
  assumeRole: AssumeRoleSchema.optional(),
  /** The STS endpoint roles are assumed through (a VPC endpoint, tests); the account Region's own by default. */
  stsEndpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Azure OpenAI with Microsoft Entra ID tokens instead of `apiKey` (a provider's `entra` is the default of its accounts). */
  entra: EntraSchema.optional(),
  /**
   * Vertex AI: the service account's JSON key (as Google Cloud's console downloads it: `client_email`,
   * `private_key`, `token_uri`), which the gateway trades for access tokens.
   */
  serviceAccount: CredentialRefSchema.optional(),
  /** Vertex AI: this account's Google Cloud project, where accounts of one provider bill to different projects. */
  project: GcpProject.optional(),
});
export type AccountConfig = z.infer<typeof AccountSchema>;

const HttpUrl = z.url({ protocol: /^https?$/ });

/** How a pool's accounts are ordered for a call (`lib/routing/balance.ts`); `weighted` when absent. */
const BalanceSchema = (field: string) =>
  z.enum(['weighted', 'least-busy', 'latency', 'headroom'], { message: `${field} is "weighted", "least-busy", "latency" or "headroom"` });

/**
 * `timeouts.firstByteMs`: the longest wait, from sending, for an answer that comes in pieces to
 * start (a stream's first event that is not a keep-alive, speech's first audio); past it the attempt
 * is abandoned and the next account or target asked, as after a headers timeout. No default: unset,
 * only `headersMs` and `idleMs` apply. A provider's `null` turns the gateway-wide one off for it.
 */
const FirstByteMs = (field: string) =>
  z
    .number({ message: `${field} is a number of milliseconds` })
    .int({ message: `${field} is a whole number of milliseconds` })
    // Below it no upstream answers at all: a value in seconds where milliseconds were meant, which would fail every call.
    .min(MIN_FIRST_BYTE_MS, { message: `${field} is at least ${MIN_FIRST_BYTE_MS} milliseconds (it counts milliseconds, not seconds)` })
    // Node runs a longer timer after 1 ms (TimeoutOverflowWarning): every call would fail at once.
    .max(MAX_TIMER_MS, { message: `${field} is at most ${MAX_TIMER_MS} milliseconds (about 24.8 days)` });

/** The least `timeouts.firstByteMs` taken: no upstream starts an answer sooner. */
export const MIN_FIRST_BYTE_MS = 100;

/** The longest wait a Node timer keeps (2^31 - 1 ms): `setTimeout` runs a longer one after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

const ProviderBase = {
  id: Id,
  /**
   * max_tokens for translated requests that name none, where the provider requires one
   * (Anthropic, Bedrock's Claude); each adapter has a sensible default.
   */
  defaultMaxTokens: z.number().int().positive().optional(),
  accounts: z.array(AccountSchema).min(1),
  /**
   * Which of the pool's accounts a call tries first: by weight at random (`weighted`, the default),
   * the fewest calls in flight on this instance per unit of weight (`least-busy`), or the lowest
   * recent time to the upstream's response headers (`latency`), or the largest share of quota left
   * by the upstream's own rate-limit headers (`headroom`). A sticky conversation keeps to its own
   * account whatever this says.
   */
  balance: BalanceSchema('providers[].balance').optional(),
  /** Overrides the gateway-wide upstream timeouts for this provider. */
  timeouts: z
    .strictObject({
      headersMs: z.number().int().positive().optional(),
      idleMs: z.number().int().positive().optional(),
      // null: none for this provider's calls, whatever the gateway-wide one (its models think long before their first token).
      firstByteMs: FirstByteMs('providers[].timeouts.firstByteMs').nullable().optional(),
    })
    .optional(),
};

const OpenAIProviderSchema = z.strictObject({
  ...ProviderBase,
  type: z.literal('openai'),
  baseUrl: HttpUrl.default('https://api.openai.com/v1'),
});

/** Any server that speaks OpenAI Chat Completions: vLLM, Ollama, OpenRouter, Groq, LM Studio… */
const OpenAICompatibleProviderSchema = z.strictObject({
  ...ProviderBase,
  type: z.literal('openai-compatible'),
  baseUrl: HttpUrl,
  /**
   * How Responses API requests reach this server: translated to Chat Completions (the default:
   * vLLM, Ollama, Groq and OpenRouter serve only part of the Responses API), or passed through
   * to its `/responses` as they are.
   */
  responses: z.enum(['translate', 'passthrough']).optional(),
});

const AnthropicProviderSchema = z.strictObject({
  ...ProviderBase,
  type: z.literal('anthropic'),
  baseUrl: HttpUrl.default('https://api.anthropic.com'),
  /** Sent as anthropic-version when the client sent none. */
  version: z.string().default('2023-06-01'),
});

const GeminiProviderSchema = z.strictObject({
  ...ProviderBase,
  type: z.literal('gemini'),
  baseUrl: HttpUrl.default('https://generativelanguage.googleapis.com'),
});

const BedrockProviderSchema = z.strictObject({
  ...ProviderBase,
  type: z.literal('bedrock'),
  /** The region of accounts that name none. */
  region: z.string().regex(AWS_REGION, 'an AWS region such as us-east-1').optional(),
  /** Overrides https://bedrock-runtime.{region}.amazonaws.com (VPC endpoints, tests). */
  baseUrl: HttpUrl.optional(),
  /** Overrides https://bedrock-agent-runtime.{region}.amazonaws.com, where rerank goes (VPC endpoints, tests). */
  agentRuntimeBaseUrl: HttpUrl.optional(),
  /**
   * anthropic-beta flags passed on to Claude on Bedrock. Bedrock refuses flags it does not know
   * with a 400 (Claude Code sends several), so by default only the ones it accepts go through;
   * `"all"` forwards everything, a list forwards exactly those.
   */
  anthropicBetas: z.union([z.literal('all'), z.array(z.string().min(1))]).optional(),
  /** The role its accounts assume when they name none of their own (see the account's `assumeRole`). */
  assumeRole: AssumeRoleSchema.optional(),
  /** The STS endpoint of accounts that name none. */
  stsEndpoint: HttpUrl.optional(),
});

/**
 * Azure OpenAI: `baseUrl` is the resource (https://NAME.openai.azure.com); a target's `model` is
 * the deployment name. With `apiVersion` the classic deployments path is used, without it the
 * versionless /openai/v1/ path.
 */
const AzureOpenAIProviderSchema = z.strictObject({
  ...ProviderBase,
  type: z.literal('azure-openai'),
  baseUrl: HttpUrl.optional(),
  apiVersion: z.string().min(1).optional(),
  /** The Entra ID service principal of accounts that name neither `apiKey` nor `entra` of their own. */
  entra: EntraSchema.optional(),
});

/**
 * Google Vertex AI: Claude (Anthropic's publisher, `rawPredict`) and Gemini (Google's,
 * `generateContent`) in a Google Cloud project, called with a service account's access tokens.
 * A target's `model` picks the publisher: `claude-…` is Anthropic's, any other Google's.
 */
const VertexProviderSchema = z.strictObject({
  ...ProviderBase,
  type: z.literal('vertex'),
  /** The project of accounts that name none. */
  project: GcpProject.optional(),
  /** The region of accounts that name none: us-east5, europe-west1…, `global` (aiplatform.googleapis.com), or the multi-regions `us` and `eu` (aiplatform.{us,eu}.rep.googleapis.com). */
  region: GcpRegion.optional(),
  /** Overrides https://{region}-aiplatform.googleapis.com (Private Service Connect endpoints, tests). */
  baseUrl: HttpUrl.optional(),
  /**
   * anthropic-beta flags passed on to Claude on Vertex. Vertex refuses flags it does not know
   * with a 400 (Claude Code sends several), so by default only the ones it accepts go through;
   * `"all"` forwards everything, a list forwards exactly those.
   */
  anthropicBetas: z.union([z.literal('all'), z.array(z.string().min(1))]).optional(),
});

export const ProviderSchema = z.discriminatedUnion('type', [
  OpenAIProviderSchema,
  OpenAICompatibleProviderSchema,
  AnthropicProviderSchema,
  GeminiProviderSchema,
  BedrockProviderSchema,
  AzureOpenAIProviderSchema,
  VertexProviderSchema,
]);
export type ProviderConfig = z.infer<typeof ProviderSchema>;

/**
 * USD per million tokens (the way providers list prices). Cache reads and writes cost the input
 * price when not given. `perRequest` is USD per call, for what is not priced by tokens (an image,
 * a moderation; a rerank is charged it per search unit, a query of up to 100 documents, as Cohere
 * and Bedrock bill); a price may have both (gpt-image-1 reports tokens too), or only `perRequest`,
 * when token prices count as 0.
 */
const PriceSchema = z
  .strictObject({
    input: z.number().nonnegative().optional(),
    output: z.number().nonnegative().optional(),
    cacheRead: z.number().nonnegative().optional(),
    cacheWrite: z.number().nonnegative().optional(),
    perRequest: z.number().nonnegative().optional(),
  })
  .refine((price) => price.perRequest !== undefined || (price.input !== undefined && price.output !== undefined), {
    message: 'a price needs `input` and `output` (USD per million tokens), or `perRequest` (USD per call)',
  });
export type Price = z.infer<typeof PriceSchema>;

/**
 * What a target's model takes, where the gateway cannot know it from the id (`lib/params/capabilities.ts`):
 * an Azure deployment named `prod-reasoner` that is an o3, an OpenAI-compatible server's reasoning model.
 */
const TargetCapabilitiesSchema = z.strictObject(
  {
    reasoning: z.boolean({ message: 'models[].targets[].capabilities.reasoning is true (a reasoning model: no max_tokens, sampling only at its defaults) or false (a chat model: no reasoning_effort)' }),
    /** False: the model refuses `stop` (an Azure deployment of o3 under a name of its own): the gateway drops it and cuts the answer at the sequences itself. */
    stop: z.boolean({ message: 'models[].targets[].capabilities.stop is false (the model refuses `stop`: the gateway cuts the answer at the sequences itself) or true' }).optional(),
  },
  { message: 'models[].targets[].capabilities is an object: { "reasoning": true | false, "stop"?: true | false }' },
);
export type TargetCapabilitiesConfig = z.infer<typeof TargetCapabilitiesSchema>;

const TargetSchema = z.strictObject({
  provider: Id,
  /** The model id the upstream knows. */
  model: z.string().min(1),
  /** Pin this target to some accounts of the provider; all of them when absent. */
  accounts: z.array(Id).min(1).optional(),
  /** What this target charges, where it differs from the model's price (another provider, another region). */
  price: PriceSchema.optional(),
  /** How this model's calls pick among the target's accounts, where it differs from the provider's `balance`. */
  balance: BalanceSchema('models[].targets[].balance').optional(),
  /** What the target's model takes, where its id does not say (`lib/params/capabilities.ts`). */
  capabilities: TargetCapabilitiesSchema.optional(),
});
export type TargetConfig = z.infer<typeof TargetSchema>;

/** How long a cached answer is served when a model's `cache` names no `ttlSeconds`: an hour. */
export const DEFAULT_CACHE_TTL_SECONDS = 3_600;

const CacheShareSchema = z.enum(['key', 'team', 'all'], { message: 'models[].cache.share is "key", "team" or "all"' });

/** A model's response cache: `{}` turns it on with the defaults (an hour, per key). */
const ResponseCacheModelSchema = z.strictObject(
  {
    ttlSeconds: z
      .number({ message: 'models[].cache.ttlSeconds is a number of seconds' })
      .int({ message: 'models[].cache.ttlSeconds is a whole number of seconds' })
      .positive({ message: 'models[].cache.ttlSeconds is at least 1' })
      .max(30 * 86_400, { message: 'models[].cache.ttlSeconds is at most 30 days (2592000)' })
      .default(DEFAULT_CACHE_TTL_SECONDS),
    share: CacheShareSchema.default('key'),
  },
  { message: 'models[].cache is an object: {} for the defaults, or { "ttlSeconds": N, "share": "key" | "team" | "all" }' },
);
export type ResponseCacheModelConfig = z.infer<typeof ResponseCacheModelSchema>;

/**
 * DynamoDB holds items up to 400 KB: a stored answer (gzip-compressed) leaves room for the item's
 * other attributes below it.
 */
export const RESPONSE_CACHE_MAX_BYTES = 380 * 1024;

const ResponseCacheSchema = z.strictObject({
  /** The largest answer stored, in bytes after gzip; larger answers are served and not stored. */
  maxBytes: z
    .number({ message: 'responseCache.maxBytes is a number of bytes' })
    .int({ message: 'responseCache.maxBytes is a whole number of bytes' })
    .positive({ message: 'responseCache.maxBytes is at least 1' })
    .max(RESPONSE_CACHE_MAX_BYTES, { message: `responseCache.maxBytes is at most ${RESPONSE_CACHE_MAX_BYTES} (a DynamoDB item holds 400 KB)` })
    .default(RESPONSE_CACHE_MAX_BYTES),
});

/** The reasoning efforts a policy may set: what every surface that has one takes. */
export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high'] as const;

/** The request parameters a model's `params` may set, in the gateway's own names (`lib/params/fields.ts` spells them per API). */
const ParamValuesSchema = (at: string, where: string) =>
  z.strictObject(
    {
      temperature: z.number({ message: `${at}.${where}.temperature is a number` }).min(0, { message: `${at}.${where}.temperature is at least 0` }).max(2, { message: `${at}.${where}.temperature is at most 2` }).optional(),
      topP: z.number({ message: `${at}.${where}.topP is a number` }).min(0, { message: `${at}.${where}.topP is at least 0` }).max(1, { message: `${at}.${where}.topP is at most 1` }).optional(),
      maxOutputTokens: z.number({ message: `${at}.${where}.maxOutputTokens is a number of tokens` }).int({ message: `${at}.${where}.maxOutputTokens is a whole number of tokens` }).positive({ message: `${at}.${where}.maxOutputTokens is at least 1` }).optional(),
      reasoningEffort: z.enum(REASONING_EFFORTS, { message: `${at}.${where}.reasoningEffort is "minimal", "low", "medium" or "high"` }).optional(),
    },
    { message: `${at}.${where} holds temperature, topP, maxOutputTokens or reasoningEffort` },
  );

/**
 * A request parameter policy (`lib/params/`): `defaults` fill what the client did not send,
 * `force` replaces what it sent, `caps.maxOutputTokens` is the most one call may ask for. `at`
 * names where it sits in messages: a model's (`models[].params`) or a named one for keys and
 * teams (`paramPolicies.<name>`), which has no `unsupported` (mending is the model's to decide).
 */
const paramPolicySchema = (at: string, perModel: boolean) =>
  z
    .strictObject(
      {
        defaults: ParamValuesSchema(at, 'defaults').optional(),
        force: ParamValuesSchema(at, 'force').optional(),
        caps: z
          .strictObject(
            {
              maxOutputTokens: z.number({ message: `${at}.caps.maxOutputTokens is a number of tokens` }).int({ message: `${at}.caps.maxOutputTokens is a whole number of tokens` }).positive({ message: `${at}.caps.maxOutputTokens is at least 1` }).optional(),
            },
            { message: `${at}.caps holds maxOutputTokens only` },
          )
          .optional(),
        /**
         * What happens to a parameter the target's model refuses (`lib/params/mend.ts`): `mend`
         * (the default) renames or drops it on the way; `pass` sends it, for the upstream's 400.
         */
        unsupported: (perModel ? z.enum(['mend', 'pass'], { message: `${at}.unsupported is "mend" or "pass"` }) : z.never({ message: `${at}.unsupported is a model's own (models[].params.unsupported)` })).optional(),
      },
      { message: `${at} is an object: { "defaults": {…}, "force": {…}, "caps": { "maxOutputTokens": N }${perModel ? ', "unsupported": "mend" | "pass"' : ''} }` },
    )
    .superRefine((params, ctx) => {
      for (const name of Object.keys(params.force ?? {})) {
        if (params.defaults && name in params.defaults) ctx.addIssue({ code: 'custom', path: ['force', name], message: `${at}: ${name} is in both defaults and force (a forced value leaves no default to fill); keep one` });
      }
      const cap = params.caps?.maxOutputTokens;
      if (cap === undefined) return;
      if (params.force?.maxOutputTokens !== undefined) ctx.addIssue({ code: 'custom', path: ['force', 'maxOutputTokens'], message: `${at}: maxOutputTokens is forced and capped; a forced value is the most already, keep one` });
      if ((params.defaults?.maxOutputTokens ?? 0) > cap) ctx.addIssue({ code: 'custom', path: ['defaults', 'maxOutputTokens'], message: `${at}.defaults.maxOutputTokens is above caps.maxOutputTokens (${cap})` });
    });
const ParamPolicySchema = paramPolicySchema('models[].params', true);
/** A named policy a key or team may name (`paramPolicies.<name>`), applied on top of the model's. */
const NamedParamPolicySchema = paramPolicySchema('paramPolicies.<name>', false);
export type ParamPolicyConfig = z.infer<typeof ParamPolicySchema>;

const ModelSchema = z.strictObject({
  /**
   * The name clients send as `model`. One `*` makes it a pattern (`claude-*`): it serves every
   * name it matches that no exact name claims, and a `*` in a target's model stands for the part
   * it matched (`claude-*` → `claude-*`, `or/*` → `*`).
   */
  name: z.string().min(1).max(200),
  aliases: z.array(z.string().min(1).max(200)).optional(),
  /** Tried in order: the next one only when the previous failed before any byte reached the client. */
  targets: z.array(TargetSchema).min(1),
  /** What a call costs, for usage records and spend limits; targets may override it. */
  price: PriceSchema.optional(),
  /**
   * The most output tokens one call can produce: what a spend limit reserves for a call that names
   * no max_tokens (else `limits.defaultMaxOutputTokens`).
   */
  maxOutputTokens: z.number().int().positive().optional(),
  /**
   * Prompt-cache breakpoints for requests translated to providers that cache only where told
   * (Anthropic, Claude on Bedrock) when the client marked none (`lib/canonical/cache-breakpoints.ts`):
   * `auto` places them (an agent loop reads its history at a tenth of the input price, and writes
   * what is new at a quarter more); `off` sends what the client sent.
   */
  promptCache: z.enum(['auto', 'off']).default('auto'),
  /**
   * The gateway's own response cache (`lib/cache/`): an answer identical calls get again without
   * reaching the upstream, for `ttlSeconds`, shared by the same key (`key`), the keys of one team
   * (`team`; a key without a team keeps its own) or every key allowed the model (`all`).
   * `{}` is `{ ttlSeconds: 3600, share: "key" }`. Off when absent.
   */
  cache: ResponseCacheModelSchema.optional(),
  /**
   * The request parameter policy (`lib/params/`): values filled in, forced or capped in the
   * client's body before anything else reads it. Chat-like APIs only (chat, Messages, Responses,
   * Gemini, legacy completions); other calls to the model are untouched.
   */
  params: ParamPolicySchema.optional(),
});
export type ModelConfig = z.infer<typeof ModelSchema>;

const LimitsSchema = z.strictObject({
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024),
  /** Output tokens a spend limit reserves for a call that names no max_tokens, on a model without maxOutputTokens. */
  defaultMaxOutputTokens: z.number().int().positive().default(4096),
  /**
   * The most the gateway holds of one upstream stream event (an SSE event, a Gemini array element,
   * a Bedrock frame) before it ends the stream with an error; a whole answer may be eight times this.
   * Streamed images send partial images of several MB in one event.
   */
  maxUpstreamEventBytes: z
    .number({ message: 'limits.maxUpstreamEventBytes is a number of bytes' })
    .int({ message: 'limits.maxUpstreamEventBytes is a whole number of bytes' })
    .min(64 * 1024, { message: 'limits.maxUpstreamEventBytes is at least 65536 (64 KiB): real events are larger' })
    // A whole answer may be eight times this: 1 GiB at most, well inside what one Buffer can hold.
    .max(128 * 1024 * 1024, { message: 'limits.maxUpstreamEventBytes is at most 134217728 (128 MiB): a whole answer may be eight times it, and Lambda streams back 200 MB at most' })
    .default(DEFAULT_UPSTREAM_EVENT_BYTES),
});

const TimeoutsSchema = z.strictObject({
  /** From sending the request until the upstream's response headers. */
  headersMs: z.number().int().positive().default(300_000),
  /** Longest silence between two body chunks of an upstream response. */
  idleMs: z.number().int().positive().default(300_000),
  firstByteMs: FirstByteMs('timeouts.firstByteMs').optional(),
});

const UsageSchema = z.strictObject({
  /** How long usage records are kept in DynamoDB before TTL removes them. */
  retentionDays: z.number().int().positive().default(90),
});

/** A body longer than this is cut in an audit record (`truncated: true`): 1 MiB. */
export const DEFAULT_AUDIT_MAX_BYTES = 1024 * 1024;

const AuditSchema = z.strictObject({
  /**
   * Whose calls leave a record of their bodies (prompt and answer) in the audit log: nobody's
   * (`off`, the default: the gateway keeps no prompt text), every key's (`all`), or only keys and
   * teams flagged with `audit: true` (`flagged`).
   */
  mode: z.enum(['off', 'all', 'flagged'], { message: 'audit.mode is "off", "all" or "flagged"' }).default('off'),
  /** Each body (request, answer) is kept up to this many bytes, the rest cut (`truncated: true`). */
  maxBytes: z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024, { message: 'audit.maxBytes is at most 64 MiB (67108864): a Lambda holds each body in memory until its record is written' })
    .default(DEFAULT_AUDIT_MAX_BYTES),
  /** How long records are kept (the bucket's lifecycle expiry on AWS). */
  retentionDays: z.number().int().positive().default(90),
});
export type AuditConfig = z.infer<typeof AuditSchema>;

const RoutingSchema = z.strictObject({
  /**
   * Keep a conversation on one account of a pool (rendezvous hashing on its session, user or first
   * messages), so the provider's prompt cache, which is per account, keeps serving it. Off: every
   * call draws an account by weight.
   */
  sticky: z.boolean().default(true),
  /**
   * A stored response the table has no owner for (made at the provider directly, or before the
   * gateway recorded owners) is found by asking the pool, and each continuation of it reads the
   * table again, in case its maker's usage batch was still on its way. A read this many seconds
   * after the first still finding none makes it anyone's in the instance's memory, read no more.
   * At least `OWNERLESS_MIN_SECONDS` (210): the longest a usage batch that is not lost can take to be written.
   */
  ownerlessAfterSeconds: z
    .number()
    .int()
    .min(OWNERLESS_MIN_SECONDS, { message: `routing.ownerlessAfterSeconds is at least ${OWNERLESS_MIN_SECONDS}: a response found before its maker's usage batch was written would be anyone's for good` })
    .default(OWNERLESS_AFTER_SECONDS),
});

const AlertsSchema = z.strictObject({
  /**
   * Fractions of a key's, a team's or an end user's budget at which the operator is told, once per budget period
   * (0.8: when 80 % is spent or held). 1 is when the budget is used up.
   */
  budgetThresholds: z
    .array(z.number().gt(0).lte(1))
    .min(1)
    .max(10)
    .refine((list) => new Set(list).size === list.length, { message: 'each threshold once' })
    .default([...DEFAULT_BUDGET_THRESHOLDS]),
});

const KeyCacheSchema = z.strictObject({
  /** How long a warm instance trusts a key it has read (a revoke takes at most this long to reach it). */
  ttlSeconds: z.number().int().nonnegative().default(30),
});

/** A header name (RFC 9110 token), or a prefix of names ending in `*` (`x-stainless-*`; `*` alone: any). */
const CORS_HEADER = /^(?:[A-Za-z0-9!#$%&'+.^_`|~-]+\*?|\*)$/;

const CorsSchema = z.strictObject({
  /** Origins whose pages may call the gateway: exact origins as browsers send them (`https://chat.example.com`, `http://localhost:3000`), or `"*"` for any. */
  allowOrigins: z.union(
    [
      z.literal('*'),
      z
        .array(
          z
            .string()
            .refine((origin) => origin !== '*', { message: 'cors.allowOrigins is "*" alone, not a list holding it', abort: true })
            .refine(isOrigin, {
              message: 'cors.allowOrigins holds origins as browsers send them: scheme://host[:port], no path, no trailing slash (https://chat.example.com); a name beyond ASCII in its punycode (https://xn--bcher-kva.example)',
            }),
        )
        .min(1, { message: 'cors.allowOrigins lists at least one origin, or is "*"' }),
    ],
    { error: allowOriginsIssue },
  ),
  /** Request headers allowed besides those the SDKs send (see the README): names, or prefixes ending in `*`. */
  allowHeaders: z.array(z.string().regex(CORS_HEADER, { message: 'cors.allowHeaders holds header names, or prefixes ending in * (x-my-*)' })).default([]),
  /** How long a browser may reuse a preflight's answer (browsers cap it: Chrome at 7200, Firefox at 86400). */
  maxAgeSeconds: z.number().int().min(0).max(86_400).default(7200),
});

/**
 * What is wrong with `cors.allowOrigins`, in place of a union's "Invalid input": a lone origin not
 * in a list, or the first fault the list's own checks found.
 */
function allowOriginsIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  if (typeof issue.input === 'string') return `cors.allowOrigins is a list of origins (${JSON.stringify([issue.input])}), or "*"`;
  // The list's branch is the one whose faults are not the literal's "not '*'".
  const listFaults = issue.errors.find((faults) => faults.every((fault) => fault.code !== 'invalid_value'));
  return listFaults?.[0]?.message;
}

/** Whether a string is an origin as a browser's `Origin` header carries it. */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

export const GatewayConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    providers: z.array(ProviderSchema).min(1),
    models: z.array(ModelSchema).min(1),
    limits: LimitsSchema.default({ maxBodyBytes: 10 * 1024 * 1024, defaultMaxOutputTokens: 4096, maxUpstreamEventBytes: DEFAULT_UPSTREAM_EVENT_BYTES }),
    timeouts: TimeoutsSchema.default({ headersMs: 300_000, idleMs: 300_000 }),
    usage: UsageSchema.default({ retentionDays: 90 }),
    keyCache: KeyCacheSchema.default({ ttlSeconds: 30 }),
    routing: RoutingSchema.default({ sticky: true, ownerlessAfterSeconds: OWNERLESS_AFTER_SECONDS }),
    alerts: AlertsSchema.default({ budgetThresholds: [...DEFAULT_BUDGET_THRESHOLDS] }),
    audit: AuditSchema.default({ mode: 'off', maxBytes: DEFAULT_AUDIT_MAX_BYTES, retentionDays: 90 }),
    responseCache: ResponseCacheSchema.default({ maxBytes: RESPONSE_CACHE_MAX_BYTES }),
    /** Browser apps calling the gateway from their pages (the admin API never): off, with no CORS headers at all, when absent. */
    cors: CorsSchema.optional(),
    /** Rules run on the prompt text of every model call, and on answers where `on` says so: block, redact or flag secrets and patterns (`lib/guardrails/`). */
    guardrails: GuardrailsSchema.default({ on: ['request'], streamWindow: DEFAULT_STREAM_WINDOW, streamHoldMax: DEFAULT_STREAM_HOLD_MAX, rules: [] }),
    /**
     * Named request parameter policies (`lib/params/`) that keys and teams may name (`params:
     * "<name>"`): applied after the model's own `params`, a cap taking the lower, a forced value
     * winning. Same fields as a model's `params` but `unsupported`.
     */
    paramPolicies: z.record(z.string(), NamedParamPolicySchema).optional(),
  })
  .superRefine((config, ctx) => {
    // Bounded as rule sets are: the names travel to the AWS admin function in an environment variable (4 KB in all).
    if (Object.keys(config.paramPolicies ?? {}).length > MAX_GUARDRAIL_SETS) ctx.addIssue({ code: 'custom', path: ['paramPolicies'], message: `paramPolicies holds at most ${MAX_GUARDRAIL_SETS} policies` });
    for (const name of Object.keys(config.paramPolicies ?? {})) {
      const problem = setNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: ['paramPolicies', name], message: `paramPolicies: ${problem}` });
    }
    const providers = new Map<string, ProviderConfig>();
    config.providers.forEach((p, i) => {
      if (providers.has(p.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
      providers.set(p.id, p);
      const seen = new Set<string>();
      p.accounts.forEach((a, j) => {
        if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, 'id'], message: `duplicate account id "${a.id}"` });
        seen.add(a.id);
        const needsKey = p.type === 'openai' || p.type === 'anthropic' || p.type === 'gemini';
        if (needsKey && !a.apiKey) ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, 'apiKey'], message: `required for a "${p.type}" provider` });
        if (p.type === 'azure-openai') {
          if (a.apiKey && a.entra) ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, 'entra'], message: 'an account signs in with `apiKey` or with `entra`, not both' });
          if (!a.apiKey && !a.entra && !p.entra) {
            ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, 'apiKey'], message: 'an Azure OpenAI account needs `apiKey` or `entra` (here, or `entra` on the provider)' });
          }
        } else if (a.entra) {
          ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, 'entra'], message: `Entra ID is for "azure-openai" providers, not "${p.type}"` });
        }
        const at = (field: string) => ['providers', i, 'accounts', j, field];
        if (p.type === 'vertex') {
          if (!a.serviceAccount) ctx.addIssue({ code: 'custom', path: at('serviceAccount'), message: 'a Vertex AI account needs the service account’s JSON key (a credential reference)' });
          if (a.apiKey) ctx.addIssue({ code: 'custom', path: at('apiKey'), message: 'a Vertex AI account signs in with `serviceAccount`, not `apiKey`' });
          if (!a.project && !p.project) ctx.addIssue({ code: 'custom', path: at('project'), message: 'a Vertex AI account needs a Google Cloud project (here or on the provider)' });
          if (!a.region && !p.region) ctx.addIssue({ code: 'custom', path: at('region'), message: 'a Vertex AI account needs a region (here or on the provider)' });
          else if (a.region && !GCP_REGION.test(a.region)) ctx.addIssue({ code: 'custom', path: at('region'), message: 'a Google Cloud region such as us-east5 or europe-west1, or "global", "us" or "eu"' });
        } else {
          if (a.serviceAccount || a.project) ctx.addIssue({ code: 'custom', path: at(a.serviceAccount ? 'serviceAccount' : 'project'), message: `a Google Cloud service account and project are for "vertex" providers, not "${p.type}"` });
          if (a.region && !AWS_REGION.test(a.region)) ctx.addIssue({ code: 'custom', path: at('region'), message: 'an AWS region such as us-east-1' });
        }
        if (p.type === 'bedrock' && !a.region && !p.region) ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, 'region'], message: 'a Bedrock account needs a region (here or on the provider)' });
        if (p.type !== 'bedrock' && (a.assumeRole || a.stsEndpoint)) {
          ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, a.assumeRole ? 'assumeRole' : 'stsEndpoint'], message: 'only a Bedrock account assumes an AWS role' });
        }
        if (p.type === 'azure-openai' && !a.baseUrl && !p.baseUrl) ctx.addIssue({ code: 'custom', path: ['providers', i, 'accounts', j, 'baseUrl'], message: 'an Azure OpenAI account needs the resource URL (here or on the provider)' });
      });
    });
    const names = new Set<string>();
    config.models.forEach((m, i) => {
      for (const [k, name] of [m.name, ...(m.aliases ?? [])].entries()) {
        const path = k === 0 ? ['models', i, 'name'] : ['models', i, 'aliases', k - 1];
        if (names.has(name)) ctx.addIssue({ code: 'custom', path, message: `model name "${name}" is used twice` });
        names.add(name);
        const stars = name.split('*').length - 1;
        if (k > 0 && stars > 0) ctx.addIssue({ code: 'custom', path, message: 'an alias cannot be a pattern (no `*`)' });
        if (stars > 1) ctx.addIssue({ code: 'custom', path, message: 'a model name may hold one `*` at most' });
      }
      const pattern = m.name.includes('*');
      if (pattern && m.aliases?.length) ctx.addIssue({ code: 'custom', path: ['models', i, 'aliases'], message: 'a pattern has no aliases (which of its models would they name?)' });
      m.targets.forEach((t, j) => {
        const stars = t.model.split('*').length - 1;
        if (stars > 0 && !pattern) ctx.addIssue({ code: 'custom', path: ['models', i, 'targets', j, 'model'], message: 'a `*` here stands for what the model name’s `*` matched, and the name has none' });
        if (stars > 1) ctx.addIssue({ code: 'custom', path: ['models', i, 'targets', j, 'model'], message: 'a target model may hold one `*` at most' });
        const p = providers.get(t.provider);
        if (!p) {
          ctx.addIssue({ code: 'custom', path: ['models', i, 'targets', j, 'provider'], message: `no provider with id "${t.provider}"` });
          return;
        }
        t.accounts?.forEach((a, k) => {
          if (!p.accounts.some((acc) => acc.id === a)) {
            ctx.addIssue({ code: 'custom', path: ['models', i, 'targets', j, 'accounts', k], message: `provider "${p.id}" has no account "${a}"` });
          }
        });
      });
    });
  });

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/**
 * The Entra ID service principal an account signs in with: its own `entra`, else its provider's,
 * unless the account has an `apiKey` of its own (a key account in a provider of Entra accounts).
 *
 * @example
 * entraOf({ entra: sp }, { id: 'east' }) // sp
 * entraOf({ entra: sp }, { id: 'legacy', apiKey: { env: 'AZURE_KEY' } }) // undefined
 */
export function entraOf(provider: object, account: object): EntraConfig | undefined {
  // Both come from a parsed config (the schema allows `entra` only where it belongs), however loosely typed the caller holds them.
  const own = account as { apiKey?: unknown; entra?: EntraConfig };
  if (own.apiKey) return undefined;
  return own.entra ?? (provider as { entra?: EntraConfig }).entra;
}
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
