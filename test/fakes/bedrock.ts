/**
 * A fake AWS Bedrock Runtime for integration tests: a `node:http` (HTTP/1.1) server on 127.0.0.1
 * that checks the SigV4 signature of every request against the secret it was given (as AWS
 * does, recomputing it from the method, path, signed headers and body bytes), serves Converse,
 * ConverseStream, InvokeModel and InvokeModelWithResponseStream with real shapes and real
 * event-stream frames (InvokeModel on Titan and Cohere embedding models embeds), and fails in the
 * ways Bedrock fails. It also serves the Agents for Amazon Bedrock runtime's Rerank operation
 * (`POST /rerank`, another host in AWS but the same signing service, `bedrock`), so one fake
 * stands behind both a provider's `baseUrl` and its `agentRuntimeBaseUrl`.
 *
 * @example
 * const bedrock = await startFakeBedrock({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'us-east-1' });
 * bedrock.reply({ kind: 'text', text: 'Hello there' });
 * // … point the gateway's Bedrock provider at bedrock.url …
 * expect(bedrock.requests[0]?.modelId).toBe('anthropic.claude-3-5-sonnet-20240620-v1:0');
 */
import type { ServerResponse } from 'node:http';
import {
  anthropicMessage,
  anthropicStreamEvents,
  awkwardPieces,
  chunkFrame,
  converseBody,
  converseStreamEvents,
  ERROR_STATUS,
  errorResponse,
  eventFrame,
  exceptionFrame,
  newToolUseId,
  type AnswerContent,
  type ReplyUsage,
  type ToolUseSpec,
} from './bedrock-wire';
import { FakeServer, listening, type FakeServerOptions, type FakeUpstream, type HangAfterHeadersReply, type HangReply, type Received } from './fake-server';
import { writePiece, type RecordedRequest } from './http';
import { validateConverse, validateInvoke } from './bedrock-validate';
import { embeddingAnswer, invalidEmbeddingBody, isEmbeddingModel } from './bedrock-embeddings';
import { agentRerankAnswer, invalidAgentRerankBody, rerankModelOf } from './rerank-wire';
import { checkSigV4, type SigV4Expectation } from './sigv4-check';

export type { ReplyUsage, ToolUseSpec } from './bedrock-wire';

/** How stream bytes are written: a frame per write, all frames in one write, or cut at awkward byte offsets. */
export type Chunking = 'frame' | 'together' | 'awkward';

/** bedrock-runtime's operations, and the agent runtime's `rerank`. */
export type Operation = 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream' | 'rerank';

/** One request as the fake received it. */
export interface BedrockRecordedRequest extends RecordedRequest {
  /** The model id, percent-decoded (`anthropic.claude-…-v1:0`); for `rerank`, the foundation model its `modelArn` names. */
  modelId: string;
  operation: Operation | undefined;
  /** Whether the SigV4 signature matched. */
  signatureValid: boolean;
}

export type Reply =
  /** An embedding model's answer to its body (the default for embedding model ids; see `bedrock-embeddings.ts`). */
  | { kind: 'embedding' }
  /** Rerank's answer to its body (the default for `POST /rerank`; see `rerank-wire.ts`), in pages of `pageSize` results when given. */
  | { kind: 'rerank'; pageSize?: number }
  | { kind: 'text'; text: string; chunks?: string[]; stopReason?: string; usage?: ReplyUsage; reasoning?: { text: string; signature: string }; chunking?: Chunking }
  | { kind: 'tool_use'; calls: ToolUseSpec[]; text?: string; usage?: ReplyUsage; chunking?: Chunking }
  /** Bedrock's error answer: `type` goes into `x-amzn-ErrorType`; the status defaults to the documented one. */
  | { kind: 'error'; type: string; status?: number; message?: string }
  /**
   * A stream that sends `afterEvents` events of the default answer, then an exception frame (`type` in camelCase), written
   * as `chunking` says (the fake's default otherwise). A non-stream request gets the error answer.
   */
  | { kind: 'exception'; type: string; afterEvents: number; message?: string; chunking?: Chunking }
  | HangReply
  | HangAfterHeadersReply
  /** Send `afterEvents` events (or, non-stream, half the body), then destroy the socket. */
  | { kind: 'drop'; afterEvents: number }
  | { kind: 'raw'; status: number; headers: Record<string, string>; body: (string | Uint8Array)[]; delayMs?: number };

export type Responder = (req: BedrockRecordedRequest) => Reply | Promise<Reply>;

export interface FakeBedrockOptions extends FakeServerOptions {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Temporary credentials it honours besides the key above (those a fake STS issued for a role of this account). */
  temporary?: SigV4Expectation['temporary'];
  /** Default for every stream reply. */
  chunking?: Chunking;
}

export interface FakeBedrock extends FakeUpstream<Reply, BedrockRecordedRequest> {
  /** The endpoint, e.g. `http://127.0.0.1:41234` (paths are `/model/{id}/{operation}`, and `/rerank`). */
  url: string;
}

/** Starts a fake Bedrock Runtime on 127.0.0.1 (port chosen by the OS). */
export async function startFakeBedrock(options: FakeBedrockOptions): Promise<FakeBedrock> {
  return listening(new FakeBedrockServer(options));
}

/** The reply when a test has not chosen one: `Echo: <last user text>`, or the embeddings an embedding model makes. */
export function defaultReply(req: BedrockRecordedRequest): Reply {
  if (isEmbeddingModel(req.modelId)) return { kind: 'embedding' };
  if (req.operation === 'rerank') return { kind: 'rerank' };
  return { kind: 'text', text: `Echo: ${lastUserText(req)}` };
}

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

class FakeBedrockServer extends FakeServer<Reply, BedrockRecordedRequest> implements FakeBedrock {
  readonly #options: FakeBedrockOptions;

  constructor(options: FakeBedrockOptions) {
    super({ defaultReply, chunkDelayMs: options.chunkDelayMs, recordRequests: options.recordRequests });
    this.#options = options;
  }

  /** Recorded before the signature check, so a test sees rejected requests too (`signatureValid: false`). */
  protected override recordOf(base: RecordedRequest): BedrockRecordedRequest {
    if (base.path === '/rerank') return { ...base, modelId: rerankModelOf(base.body, this.#options.region) ?? '', operation: 'rerank', signatureValid: false };
    const route = ROUTE.exec(base.path);
    return { ...base, modelId: route?.[1] ? decodeURIComponent(route[1]) : '', operation: route?.[2] as Operation | undefined, signatureValid: false };
  }

  protected override async route({ req, res, record, raw }: Received<BedrockRecordedRequest>): Promise<void> {
    const { accessKeyId, secretAccessKey, region, temporary } = this.#options;
    const rejection = await checkSigV4(req, record, raw, { accessKeyId, secretAccessKey, region, service: 'bedrock', ...(temporary ? { temporary } : {}) });
    if (rejection) return send(res, errorResponse(rejection.type, rejection.message, rejection.status));
    record.signatureValid = true;

    if (req.method !== 'POST' || !record.operation) return send(res, errorResponse('UnknownOperationException', 'Unknown operation', 404));
    const invoke = record.operation === 'invoke';
    const invalid =
      record.operation === 'rerank'
        ? invalidAgentRerankBody(record.body, region)
        : invoke && isEmbeddingModel(record.modelId)
          ? invalidEmbeddingBody(record.modelId, record.body)
          : record.operation.startsWith('invoke')
            ? validateInvoke(record)
            : validateConverse(record);
    if (invalid) return send(res, errorResponse('ValidationException', invalid));
    await this.#send(record, res, await this.replyFor(record));
  }

  protected override answerFailure(res: ServerResponse, error: unknown): void {
    send(res, errorResponse('InternalServerException', `fake-bedrock failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  async #send(record: BedrockRecordedRequest, res: ServerResponse, reply: Reply): Promise<void> {
    const stream = record.operation === 'converse-stream' || record.operation === 'invoke-with-response-stream';
    switch (reply.kind) {
      case 'embedding':
        return send(res, embeddingAnswer(record.modelId, record.body as Record<string, unknown>));
      case 'rerank':
        return send(res, agentRerankAnswer(record.body as Record<string, unknown>, reply.pageSize));
      case 'text':
      case 'tool_use': {
        const content = answerContent(reply, record);
        if (!stream) return send(res, this.#wholeAnswer(record, content));
        return this.#writeFrames(record, res, this.#frames(record, content), reply.chunking ?? this.#options.chunking ?? 'frame');
      }
      case 'error':
        return send(res, errorResponse(reply.type, reply.message ?? `${reply.type} (fake)`, reply.status));
      case 'exception': {
        const type = reply.type.charAt(0).toUpperCase() + reply.type.slice(1);
        if (!stream) return send(res, errorResponse(type, reply.message ?? `${reply.type} (fake)`, ERROR_STATUS[type]));
        const frames = this.#frames(record, answerContent(defaultReply(record) as Extract<Reply, { kind: 'text' }>, record)).slice(0, reply.afterEvents);
        frames.push(exceptionFrame(reply.type.charAt(0).toLowerCase() + reply.type.slice(1), reply.message ?? `${reply.type} (fake)`));
        return this.#writeFrames(record, res, frames, reply.chunking ?? this.#options.chunking ?? 'frame');
      }
      case 'hang':
        return;
      case 'hang-after-headers':
        return this.hangAfterHeaders(res, streamHeaders(record));
      case 'drop': {
        const content = answerContent(defaultReply(record) as Extract<Reply, { kind: 'text' }>, record);
        if (stream) {
          res.writeHead(200, streamHeaders(record));
          res.flushHeaders();
          for (const frame of this.#frames(record, content).slice(0, reply.afterEvents)) await writePiece(res, frame);
        } else {
          const whole = this.#wholeAnswer(record, content);
          res.writeHead(200, { ...whole.headers, 'content-length': Buffer.byteLength(whole.body) });
          if (reply.afterEvents > 0) await writePiece(res, whole.body.slice(0, Math.floor(whole.body.length / 2)));
        }
        return this.dropConnection(res);
      }
      case 'raw':
        return this.sendRaw(res, reply);
    }
  }

  #wholeAnswer(record: BedrockRecordedRequest, content: AnswerContent): { status: number; headers: Record<string, string>; body: string } {
    const common = { 'x-amzn-requestid': crypto.randomUUID(), 'content-type': 'application/json' };
    if (record.operation === 'converse') return { status: 200, headers: common, body: converseBody(content) };
    return {
      status: 200,
      headers: {
        ...common,
        'x-amzn-bedrock-input-token-count': String(content.usage.input),
        'x-amzn-bedrock-output-token-count': String(content.usage.output),
        'x-amzn-bedrock-invocation-latency': '321',
      },
      body: JSON.stringify(anthropicMessage(content, record.modelId)),
    };
  }

  #frames(record: BedrockRecordedRequest, content: AnswerContent): Uint8Array[] {
    if (record.operation === 'converse-stream') return converseStreamEvents(content).map((e) => eventFrame(e.type, e.payload));
    return anthropicStreamEvents(content, record.modelId).map(chunkFrame);
  }

  async #writeFrames(record: BedrockRecordedRequest, res: ServerResponse, frames: Uint8Array[], chunking: Chunking): Promise<void> {
    const all = Buffer.concat(frames);
    await this.writeStream(res, streamHeaders(record), chunking === 'frame' ? frames : chunking === 'together' ? [all] : awkwardPieces(all));
    res.end();
  }
}

function answerContent(reply: Extract<Reply, { kind: 'text' | 'tool_use' }>, record: BedrockRecordedRequest): AnswerContent {
  const text = reply.text;
  // Words with the spaces after them, and the first with those before it: every byte kept, as a
  // split that lost whitespace would hide a gateway that loses it.
  const chunks = reply.kind === 'text' && reply.chunks ? reply.chunks : text ? (text.match(/\s*\S+\s*/g) ?? [text]) : [];
  const calls = (reply.kind === 'tool_use' ? reply.calls : []).map((c) => {
    const json = JSON.stringify(c.input);
    const middle = Math.floor(json.length / 2);
    return { id: c.id ?? newToolUseId(), name: c.name, input: c.input, inputChunks: c.inputChunks ?? [json.slice(0, middle), json.slice(middle)] };
  });
  const usage = reply.usage ?? { input: Math.max(1, Math.ceil(record.rawBody.length / 4)), output: Math.max(1, chunks.length + calls.length * 8) };
  const stopReason = reply.kind === 'tool_use' ? 'tool_use' : (reply.stopReason ?? 'end_turn');
  return { ...(text !== undefined ? { text } : {}), chunks, calls, stopReason, usage, ...(reply.kind === 'text' && reply.reasoning ? { reasoning: reply.reasoning } : {}) };
}

function streamHeaders(record: BedrockRecordedRequest): Record<string, string> {
  return {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': crypto.randomUUID(),
    ...(record.operation === 'invoke-with-response-stream' ? { 'x-amzn-bedrock-content-type': 'application/json' } : {}),
  };
}

function send(res: ServerResponse, answer: { status: number; headers: Record<string, string>; body: string }): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

function lastUserText(record: BedrockRecordedRequest): string {
  const body = record.body as { messages?: { role?: string; content?: unknown }[] } | undefined;
  const last = [...(body?.messages ?? [])].reverse().find((m) => m.role === 'user');
  if (typeof last?.content === 'string') return last.content;
  if (!Array.isArray(last?.content)) return '';
  return last.content
    .map((b: { text?: unknown; type?: unknown }) => (typeof b.text === 'string' ? b.text : ''))
    .filter((t: string) => t !== '')
    .join(' ');
}
