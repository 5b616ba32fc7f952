import { startFakeSns, type FakeSns } from '../../test/fakes/sns';
import type { BudgetAlert } from './message';
import { AwsRequestError } from '../aws/signed-fetch';
import { SnsNotifier } from './sns';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:aigw-alarms';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG', sessionToken: 'session-token' };
const ALERT: BudgetAlert = {
  owner: { kind: 'key', id: 'key_1', name: 'alice' },
  threshold: 0.8,
  budget: { kind: 'day', periodId: '2026-11-26', limitMicros: 5_000_000, usedMicros: 4_100_000, fraction: 0.82, resetsAt: '2026-11-27T00:00:00.000Z' },
};

describe('SnsNotifier against a fake SNS that checks signatures', () => {
  let sns: FakeSns;
  beforeAll(async () => {
    sns = await startFakeSns({ accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: CREDENTIALS.secretAccessKey, region: 'eu-west-1', topicArns: [TOPIC] });
  });
  afterAll(async () => sns.close());

  it('publishes the alert\'s subject and text to the topic in one signed call', async () => {
    const notifier = new SnsNotifier({ topicArn: TOPIC, region: 'eu-west-1', credentials: CREDENTIALS, endpoint: sns.url });

    await notifier.notify(ALERT);

    expect(sns.refused).toEqual([]);
    expect(sns.published).toEqual([
      expect.objectContaining({ topicArn: TOPIC, subject: 'aigw: key "alice" reached 80% of its daily budget ($4.10 of $5.00)', message: expect.stringContaining('Resets:    2026-11-27T00:00:00.000Z') }),
    ]);
  });

  it('fails with SNS\'s error code when the signature does not hold', async () => {
    const notifier = new SnsNotifier({ topicArn: TOPIC, region: 'eu-west-1', credentials: { ...CREDENTIALS, secretAccessKey: 'wrong' }, endpoint: sns.url });

    const error = await notifier.notify(ALERT).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(AwsRequestError);
    expect(error).toMatchObject({ status: 403, code: 'InvalidSignatureException' });
  });

  it('fails naming the topic when it does not exist', async () => {
    const notifier = new SnsNotifier({ topicArn: `${TOPIC}-gone`, region: 'eu-west-1', credentials: CREDENTIALS, endpoint: sns.url });

    await expect(notifier.notify(ALERT)).rejects.toThrow(/aigw-alarms-gone failed: 404 NotFound/);
  });
});
