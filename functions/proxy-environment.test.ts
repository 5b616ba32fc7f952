import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { mintKey } from '../lib/access/api-key';
import { ConfigError, parseConfig } from '../lib/config/load';
import { resolveForAws } from '../lib/config/resolve-for-aws';
import type { Gateway } from '../lib/gateway';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { windowAt } from '../lib/access/rate-limits';
import { DynamoKeyStore } from '../lib/store/keys';
import { rateWindowKey } from '../lib/store/table';
import { startTestTable } from '../test/dynalite';
import { spentSince } from '../test/integration/harness';
import { usageSince } from '../test/integration/usage-since';
import { clearOfMinuteEnd } from '../test/minute-window';
import { startFakeBedrock, type FakeBedrock } from '../test/fakes/bedrock';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai';
import { startFakeSns } from '../test/fakes/sns';
import { RecordingStream, functionUrlEvent, lambdaContext, type StreamHandler } from '../test/lambda';
import { createProxyHandler, proxyFromEnvironment } from './proxy';

/** Before any call: usage and spend are read from this day on (`usageSince`, `spentSince`). */
const STARTED_AT = Date.now();
// Every Secrets Manager client the gateway builds answers from here; DynamoDB is a real dynalite.
const sm = mockClient(SecretsManagerClient);
const reads = () => sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId);

const OPENAI_SECRET = 'aigw/Aigw/openai/main';
const BEDROCK_SECRET = 'aigw/Aigw/bedrock/static/aws-credentials';
const AWS_KEYS = { accessKeyId: 'AKIAFAKESTATIC', secretAccessKey: 'fake-static-secret' };

/**
 * The proxy as deployed: `proxyFromEnvironment` reads the config the stack baked into the
 * bundle, the table from its environment, and provider keys from Secrets Manager.
 */
describe('the deployed proxy, built from its environment', () => {
  let db: Awaited<ReturnType<typeof startTestTable>>;
  let openai: FakeOpenAI;
  let bedrock: FakeBedrock;
  let key: string;
  let keyId: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await startTestTable();
    openai = await startFakeOpenAI({ apiKey: 'sk-from-secrets-manager' });
    bedrock = await startFakeBedrock({ ...AWS_KEYS, region: 'eu-west-1' });
    // What the stack bakes in: the operator's config with every credential moved to Secrets Manager.
    const baked = resolveForAws(
      parseConfig({
        providers: [
          { id: 'openai', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] },
          { id: 'bedrock', type: 'bedrock', region: 'eu-west-1', baseUrl: bedrock.url, accounts: [{ id: 'static', awsCredentials: { accessKeyId: { env: 'ID' }, secretAccessKey: { env: 'SECRET' } } }] },
        ],
        models: [
          { name: 'gpt-4o-mini', price: { input: 1, output: 2 }, targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
          { name: 'claude-haiku', targets: [{ provider: 'bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0' }] },
        ],
      }),
      'Aigw',
    ).config;
    env = { GATEWAY_CONFIG_JSON: JSON.stringify(baked), GATEWAY_TABLE_NAME: db.table.tableName, DYNAMODB_ENDPOINT: db.dynamo.endpoint };
    const minted = mintKey({ name: 'deployed', models: ['*'] }, new Date());
    key = minted.key;
    keyId = minted.record.id;
    await new DynamoKeyStore(db.table).put(minted.record);
  });
  afterAll(async () => {
    await openai.close();
    await bedrock.close();
    await db.close();
  });
  let logLines: string[];
  beforeEach(() => {
    sm.reset();
    openai.reset();
    bedrock.reset();
    logLines = [];
    // The deployed logger writes JSON lines to stdout and stderr: kept here to be read, not printed.
    for (const out of [process.stdout, process.stderr]) {
      jest.spyOn(out, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        return true;
      });
    }
  });
  afterEach(() => {
    jest.restoreAllMocks();
    // Neither provider secrets, nor the gateway key, nor prompt text reach the logs.
    for (const line of logLines) {
      expect(JSON.parse(line)).toMatchObject({ requestId: 'lambda-req-1' });
      for (const secret of ['sk-from-secrets-manager', AWS_KEYS.secretAccessKey, key, 'hello']) expect(line).not.toContain(secret);
    }
  });

  async function call(gateway: Gateway, model: string, apiKey = key) {
    const stream = new RecordingStream();
    const handler = createProxyHandler(() => gateway) as unknown as StreamHandler;
    await handler(functionUrlEvent({ model, messages: [{ role: 'user', content: 'hello' }] }, { authorization: `Bearer ${apiKey}` }), stream, lambdaContext(60_000));
    return stream;
  }

  it('reads every provider secret at cold start, and its requests use them without reading again', async () => {
    sm.on(GetSecretValueCommand, { SecretId: OPENAI_SECRET }).resolves({ Name: OPENAI_SECRET, SecretString: 'sk-from-secrets-manager' });
    sm.on(GetSecretValueCommand, { SecretId: BEDROCK_SECRET }).resolves({ Name: BEDROCK_SECRET, SecretString: JSON.stringify(AWS_KEYS) });

    const gateway = proxyFromEnvironment(env).gateway;
    expect(reads().sort()).toEqual([BEDROCK_SECRET, OPENAI_SECRET]);

    const viaOpenAI = await call(gateway, 'gpt-4o-mini');
    const viaBedrock = await call(gateway, 'claude-haiku');

    expect(viaOpenAI.prelude?.statusCode).toBe(200);
    expect(JSON.parse(viaOpenAI.body).choices[0].message.content).toBe('Echo: hello');
    expect(openai.requests[0]?.headers.authorization).toBe('Bearer sk-from-secrets-manager');
    // The fake Bedrock checks the SigV4 signature against the static keys from the secret.
    expect(viaBedrock.prelude?.statusCode).toBe(200);
    expect(JSON.parse(viaBedrock.body).choices[0].message.content).toBe('Echo: hello');
    expect(bedrock.requests).toHaveLength(1);
    expect(reads()).toHaveLength(2);
    // Usage records reach the table before each invocation ends.
    expect(await usageSince(db.table, keyId, STARTED_AT)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ model: 'gpt-4o-mini', provider: 'openai', status: 200 }),
        expect.objectContaining({ model: 'claude-haiku', provider: 'bedrock', status: 200 }),
      ]),
    );
  });

  it('holds a key to its limits across instances through the table, and settles its tokens and spend before the invocation ends', async () => {
    sm.on(GetSecretValueCommand, { SecretId: OPENAI_SECRET }).resolves({ Name: OPENAI_SECRET, SecretString: 'sk-from-secrets-manager' });
    sm.on(GetSecretValueCommand, { SecretId: BEDROCK_SECRET }).resolves({ Name: BEDROCK_SECRET, SecretString: JSON.stringify(AWS_KEYS) });
    const limited = mintKey({ name: 'limited', models: ['*'], limits: { requestsPerMinute: 1, tokensPerMinute: 1_000_000, usdPerDay: 1 } }, new Date());
    await new DynamoKeyStore(db.table).put(limited.record);
    // The deployed gateway runs on the real clock: start early enough in a minute that it cannot turn mid-test.
    await clearOfMinuteEnd();
    const window = windowAt(Date.now());

    const first = await call(proxyFromEnvironment(env).gateway, 'gpt-4o-mini', limited.key);
    const second = await call(proxyFromEnvironment(env).gateway, 'gpt-4o-mini', limited.key);
    const counted = rateWindowKey(limited.record.id, window.id);
    const counters = await db.table.client.send(new GetItemCommand({ TableName: db.table.tableName, Key: { PK: { S: counted.PK }, SK: { S: counted.SK } } }));

    expect(first.prelude?.statusCode).toBe(200);
    expect(second.prelude?.statusCode).toBe(429);
    expect(second.prelude?.headers).toMatchObject({ 'retry-after': expect.stringMatching(/^\d+$/) });
    expect(JSON.parse(second.body).error.code).toBe('rate_limit_exceeded');
    expect(openai.requests).toHaveLength(1);
    expect(counters.Item).toMatchObject({ requests: { N: '1' }, tokens: { N: expect.stringMatching(/^[1-9]\d*$/) } });
    const [record] = await usageSince(db.table, limited.record.id, STARTED_AT).then((rows) => rows.filter((row) => row.status === 200));
    const spent = await spentSince(db, limited.record.id, STARTED_AT);
    expect(record?.costMicros).toBeGreaterThan(0);
    expect(spent).toBe(record?.costMicros);
  });

  it('publishes an end user\'s budget alert to the topic from the call that crossed it, before the invocation ends', async () => {
    sm.on(GetSecretValueCommand, { SecretId: OPENAI_SECRET }).resolves({ Name: OPENAI_SECRET, SecretString: 'sk-from-secrets-manager' });
    sm.on(GetSecretValueCommand, { SecretId: BEDROCK_SECRET }).resolves({ Name: BEDROCK_SECRET, SecretString: JSON.stringify(AWS_KEYS) });
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:aigw-alarms';
    const role = { AWS_ACCESS_KEY_ID: 'AKIDPROXYROLE', AWS_SECRET_ACCESS_KEY: 'proxy-role-secret' };
    const sns = await startFakeSns({ accessKeyId: role.AWS_ACCESS_KEY_ID, secretAccessKey: role.AWS_SECRET_ACCESS_KEY, region: 'eu-west-1', topicArns: [topicArn] });
    // The role's keys as Lambda sets them: the SNS notifier reads them through the SDK's default chain, from process.env.
    const saved = { ...process.env };
    Object.assign(process.env, role);
    try {
      // $1 per million prompt tokens, $2 per million output ones: 10 + 5 cost 20 micro-dollars, 80 % of $0.000025.
      openai.reply(() => ({ kind: 'text', text: 'Hi', usage: { prompt: 10, completion: 5 } }));
      const eu = mintKey({ name: 'eu', models: ['*'], endUserLimits: { usdPerDay: 0.000025 } }, new Date());
      await new DynamoKeyStore(db.table).put(eu.record);
      const gateway = proxyFromEnvironment({ ...env, ALERT_TOPIC_ARN: topicArn, SNS_ENDPOINT: sns.url, AWS_REGION: 'eu-west-1' }).gateway;
      const stream = new RecordingStream();
      const handler = createProxyHandler(() => gateway) as unknown as StreamHandler;

      await handler(functionUrlEvent({ model: 'gpt-4o-mini', max_tokens: 5, user: 'erin', messages: [{ role: 'user', content: 'hello' }] }, { authorization: `Bearer ${eu.key}` }), stream, lambdaContext(60_000));

      expect(stream.prelude?.statusCode).toBe(200);
      expect(sns.refused).toEqual([]);
      expect(sns.published).toEqual([expect.objectContaining({ topicArn, subject: 'aigw: end user "erin" of key "eu" reached 80% of its daily budget ($0.00002 of $0.000025)' })]);
    } finally {
      for (const name of Object.keys(role)) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await sns.close();
    }
  });

  it('answers 502 naming the provider while its secret has no value yet, and serves once it has one', async () => {
    sm.on(GetSecretValueCommand, { SecretId: OPENAI_SECRET })
      .rejectsOnce(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} }))
      .resolves({ Name: OPENAI_SECRET, SecretString: 'sk-from-secrets-manager' });
    sm.on(GetSecretValueCommand, { SecretId: BEDROCK_SECRET }).resolves({ Name: BEDROCK_SECRET, SecretString: JSON.stringify(AWS_KEYS) });

    const gateway = proxyFromEnvironment(env).gateway;
    await new Promise((resolve) => setImmediate(resolve));
    const before = await call(gateway, 'gpt-4o-mini');

    // The cold-start read failed and was not kept: this request read the secret again and found it.
    expect(before.prelude?.statusCode).toBe(200);
    expect(reads().filter((id) => id === OPENAI_SECRET)).toHaveLength(2);

    sm.reset();
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} }));
    const empty = proxyFromEnvironment(env).gateway;
    const refused = await call(empty, 'gpt-4o-mini');

    expect(refused.prelude?.statusCode).toBe(502);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: 'upstream_credentials_missing', message: expect.stringContaining('provider "openai"') });
    expect(refused.body).not.toContain('sk-');
    // The secret's name is the operator's: in the log, never in the body.
    expect(refused.body).not.toContain(OPENAI_SECRET);
    expect(openai.requests).toHaveLength(1);
    expect(logLines.map((line) => JSON.parse(line))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'WARN', message: 'upstream attempt failed', detail: expect.stringContaining(`secret ${OPENAI_SECRET}`) }),
        expect.objectContaining({ level: 'INFO', message: 'request', status: 502, errorCode: 'upstream_credentials_missing', errorDetail: expect.stringContaining(`secret ${OPENAI_SECRET}`) }),
      ]),
    );
  });

  it.each([
    ['out of DynamoDB\'s pattern', 'aigw table', 'GATEWAY_TABLE_NAME is not a DynamoDB table name (" " is not a letter, a digit, "_", "." or "-"): "aigw table".'],
    ['not set', undefined, "GATEWAY_TABLE_NAME is not set: it names the gateway's DynamoDB table."],
  ])('refuses to start with a table name %s, naming the variable, and fails each invocation (the caller getting a 500) without calling DynamoDB', async (_name, tableName, message) => {
    // Prepare
    const { GATEWAY_TABLE_NAME: _valid, ...rest } = env;
    const bad = { ...rest, ...(tableName === undefined ? {} : { GATEWAY_TABLE_NAME: tableName }) };
    const send = jest.spyOn(DynamoDBClient.prototype, 'send');
    // As the deployed handler builds its instance: on its first request, and again on each while that throws.
    const handler = createProxyHandler(() => proxyFromEnvironment(bad).gateway) as unknown as StreamHandler;
    const stream = new RecordingStream();

    // Act
    const refusal = (() => {
      try {
        return proxyFromEnvironment(bad);
      } catch (err) {
        return err;
      }
    })();
    const failed = await handler(functionUrlEvent({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }, { authorization: `Bearer ${key}` }), stream, lambdaContext(60_000)).then(() => undefined, (e: unknown) => e);

    // Assess
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(refusal).toMatchObject({ message });
    // The caller gets the door's 500; the invocation fails with the refusal, counted in the function's Errors.
    expect(failed).toBeInstanceOf(ConfigError);
    expect(failed).toMatchObject({ message });
    expect(stream.prelude?.statusCode).toBe(500);
    expect(logLines.map((line) => JSON.parse(line) as unknown)).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'request failed', error: expect.objectContaining({ message }) }));
    expect(send).not.toHaveBeenCalled();
  });
});
