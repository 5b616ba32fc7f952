/**
 * A fake Amazon SNS on 127.0.0.1 for the budget alerts' notifier: it checks the SigV4 signature
 * of every request (service `sns`, as AWS recomputes it), serves the Query API's `Publish` to the
 * topics it was given, and answers with SNS's XML shapes.
 *
 * @example
 * const sns = await startFakeSns({ accessKeyId: 'AKID', secretAccessKey: 'secret', region: 'eu-west-1', topicArns: [ARN] });
 * // … new SnsNotifier({ endpoint: sns.url, … }) …
 * expect(sns.published[0]?.subject).toContain('reached 80%');
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBodyBytes, recordRequest } from './http';
import { checkSigV4 } from './sigv4-check';

export interface FakeSnsOptions {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Topics that exist; a Publish to another answers NotFound. */
  topicArns: readonly string[];
}

/** One message the fake accepted. */
export interface PublishedMessage {
  topicArn: string;
  subject: string | undefined;
  message: string;
  messageId: string;
}

export interface FakeSns {
  url: string;
  published: PublishedMessage[];
  /** Requests refused, with the error type each got (a bad signature, an unknown topic…). */
  refused: string[];
  close(): Promise<void>;
}

export async function startFakeSns(options: FakeSnsOptions): Promise<FakeSns> {
  const published: PublishedMessage[] = [];
  const refused: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBodyBytes(req);
      const record = recordRequest(req, raw.toString('utf8'), Date.now());
      const { accessKeyId, secretAccessKey, region } = options;
      const rejection = await checkSigV4(req, record, raw, { accessKeyId, secretAccessKey, region, service: 'sns' });
      if (rejection) return fail(res, refused, rejection.status, rejection.type, rejection.message);
      const form = new URLSearchParams(record.rawBody);
      if (form.get('Action') !== 'Publish') return fail(res, refused, 400, 'InvalidAction', `The action ${form.get('Action')} is not valid for this endpoint.`);
      const topicArn = form.get('TopicArn') ?? '';
      if (!options.topicArns.includes(topicArn)) return fail(res, refused, 404, 'NotFound', 'Topic does not exist');
      const message = form.get('Message');
      if (!message) return fail(res, refused, 400, 'InvalidParameter', 'Invalid parameter: Empty message');
      const subject = form.get('Subject') ?? undefined;
      if (subject !== undefined && (subject.length >= 100 || !/^[\x20-\x7e]+$/.test(subject))) return fail(res, refused, 400, 'InvalidParameter', 'Invalid parameter: Subject');
      const messageId = randomUUID();
      published.push({ topicArn, subject, message, messageId });
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`);
    })();
  });
  const url = await listenOnLoopback(server);
  return { url, published, refused, close: () => closeServer(server) };
}

function fail(res: ServerResponse, refused: string[], status: number, code: string, message: string): void {
  refused.push(code);
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
}
