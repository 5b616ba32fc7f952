/**
 * The server skeleton every fake upstream in this folder shares: listen on loopback, record each
 * request, pick the reply (a responder function or one fixed reply), reset, close (hanging
 * sockets included), and the reply kinds that mean the same for every provider (hang, headers
 * then silence, raw bytes, a dropped connection, a paced stream).
 *
 * A provider's fake extends `FakeServer` and keeps only its own wire format and routes, in
 * `route()`; the helpers here pause on the server's own abort signal, so `close()` never waits
 * out a slow stream.
 *
 * @example
 * type EchoReply = HangReply | { kind: 'words'; pieces: string[] };
 * class FakeEcho extends FakeServer<EchoReply> {
 *   protected override async route({ res, record }: Received): Promise<void> {
 *     const reply = await this.replyFor(record);
 *     if (reply.kind === 'hang') return;
 *     await this.writeStream(res, { 'content-type': 'text/plain' }, reply.pieces);
 *     res.end();
 *   }
 *   protected override answerFailure(res: ServerResponse, error: unknown): void {
 *     res.writeHead(500).end(String(error));
 *   }
 * }
 * const fake = await listening(new FakeEcho({ defaultReply: () => ({ kind: 'words', pieces: ['Hi', ' there'] }) }));
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { closeServer, isGone, listenOnLoopback, readBodyBytes, recordRequest, sleep, writePiece, type RecordedRequest } from './http';

/** Read the request and never answer (for timeouts). */
export type HangReply = { kind: 'hang' };

/** Send 200 and the stream's headers, then nothing. */
export type HangAfterHeadersReply = { kind: 'hang-after-headers' };

/** Send exactly this: headers at once, then each body piece as its own write, `delayMs` before each. */
/** `reset`: once its body is written, the connection is reset (an upstream that failed mid-stream) rather than ended. */
export type RawReply = { kind: 'raw'; status: number; headers: Record<string, string>; body: string | string[]; delayMs?: number; reset?: boolean };

/** Decides one reply from the request, as a test tells a fake to. */
export type Responder<Rec extends RecordedRequest, Reply> = (req: Rec) => Reply | Promise<Reply>;

/** What a test holds of a fake upstream, whichever provider it plays. */
export interface FakeUpstream<Reply, Rec extends RecordedRequest = RecordedRequest> {
  /** Where to send requests (each fake says whether a path like `/v1` is included). */
  url: string;
  /** Every request received, oldest first (also rejected and unknown-path ones). */
  requests: Rec[];
  /** The requests whose connection closed before their answer ended, oldest first: the client hung up (or the fake dropped it, `drop`). */
  closedEarly: Rec[];
  /** Decides the replies from now on: a function of the request, or one fixed reply. */
  reply(responder: Responder<Rec, Reply> | Reply): void;
  /** Forgets recorded requests and goes back to the default reply. */
  reset(): void;
  /** Stops the server and ends every open connection, hanging ones included. */
  close(): Promise<void>;
}

/** The options every fake takes the same way. */
export interface FakeServerOptions {
  /** Pause between stream writes (not before the first). Default 0. */
  chunkDelayMs?: number;
  /** Keep `requests`; turn off for long benchmark runs. Default true. */
  recordRequests?: boolean;
}

export interface FakeServerSettings<Rec extends RecordedRequest, Reply> extends FakeServerOptions {
  /** The reply until a test chooses one, and again after `reset()`. */
  defaultReply: Responder<Rec, Reply>;
  /** Appended to the origin in `url`, e.g. `/v1`. */
  urlPath?: string;
}

/** One request as `route()` gets it: read completely and recorded already. */
export interface Received<Rec extends RecordedRequest = RecordedRequest> {
  req: IncomingMessage;
  res: ServerResponse;
  record: Rec;
  /** The body's bytes, for fakes that check a signature over them. */
  raw: Buffer;
}

/** Starts listening and answers the fake, so `startFake…` functions stay one line. */
export async function listening<Fake extends { listen(): Promise<void> }>(fake: Fake): Promise<Fake> {
  await fake.listen();
  return fake;
}

/**
 * A fake upstream's server: owns the socket, the recorded requests and the chosen replies, and
 * leaves to the subclass only what a provider does differently (`route`, `answerFailure`).
 */
export abstract class FakeServer<Reply, Rec extends RecordedRequest = RecordedRequest> implements FakeUpstream<Reply, Rec> {
  url = '';
  requests: Rec[] = [];
  closedEarly: Rec[] = [];
  readonly #settings: FakeServerSettings<Rec, Reply>;
  readonly #server: Server;
  /** Aborted by `close()`, so pending pauses end at once instead of holding the close up. */
  readonly #closing = new AbortController();
  #responder: Responder<Rec, Reply>;

  constructor(settings: FakeServerSettings<Rec, Reply>) {
    this.#settings = settings;
    this.#responder = settings.defaultReply;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        // A bug in a responder or in the fake: after the first byte only a reset can say so.
        if (res.headersSent) res.destroy();
        else this.answerFailure(res, error);
      });
    });
  }

  /** Starts listening on loopback and sets `url`; `listening()` calls it. */
  async listen(): Promise<void> {
    this.url = `${await listenOnLoopback(this.#server)}${this.#settings.urlPath ?? ''}`;
  }

  reply(responder: Responder<Rec, Reply> | Reply): void {
    // No reply kind is a function, so a function can only be a responder.
    this.#responder = typeof responder === 'function' ? (responder as Responder<Rec, Reply>) : () => responder;
  }

  reset(): void {
    this.requests = [];
    this.closedEarly = [];
    this.#responder = this.#settings.defaultReply;
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await closeServer(this.#server);
  }

  /** Answers one request in the provider's wire format; `record` is in `requests` already. */
  protected abstract route(received: Received<Rec>): Promise<void>;

  /** Answers 500 in the provider's error format (only called before any header was sent). */
  protected abstract answerFailure(res: ServerResponse, error: unknown): void;

  /**
   * Turns the common record into the fake's own (Bedrock adds the model and operation).
   * Only a fake whose `Rec` is richer than `RecordedRequest` needs to override it.
   */
  protected recordOf(base: RecordedRequest): Rec {
    return base as Rec; // Rec is RecordedRequest itself wherever this is not overridden.
  }

  /** The reply the test chose for this request. */
  protected async replyFor(record: Rec): Promise<Reply> {
    return this.#responder(record);
  }

  /** Waits `ms`, or less when the fake is closing. */
  protected pause(ms: number): Promise<void> {
    return sleep(ms, this.#closing.signal);
  }

  /** Sends 200 and `headers`, then each piece as its own write, `chunkDelayMs` apart; the caller ends the response. */
  protected async writeStream(res: ServerResponse, headers: OutgoingHttpHeaders, pieces: readonly (string | Uint8Array)[]): Promise<void> {
    res.writeHead(200, headers);
    res.flushHeaders();
    for (const [index, piece] of pieces.entries()) {
      if (index > 0) await this.pause(this.#settings.chunkDelayMs ?? 0);
      if (isGone(res)) return;
      await writePiece(res, piece);
    }
  }

  /** The `hang-after-headers` reply: the client sees a stream start that never goes on. */
  protected hangAfterHeaders(res: ServerResponse, headers: OutgoingHttpHeaders): void {
    res.writeHead(200, headers);
    res.flushHeaders();
  }

  /** The `raw` reply (Bedrock's takes binary pieces too). */
  protected async sendRaw(res: ServerResponse, reply: Omit<RawReply, 'body'> & { body: string | readonly (string | Uint8Array)[] }): Promise<void> {
    res.writeHead(reply.status, reply.headers);
    res.flushHeaders();
    for (const piece of typeof reply.body === 'string' ? [reply.body] : reply.body) {
      await this.pause(reply.delayMs ?? 0);
      if (isGone(res)) return;
      await writePiece(res, piece);
    }
    if (reply.reset) await this.dropConnection(res);
    else res.end();
  }

  /** Ends a `drop` reply: resets the connection once what was written had time to leave. */
  protected async dropConnection(res: ServerResponse): Promise<void> {
    await this.pause(10);
    res.destroy();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const raw = await readBodyBytes(req);
    const record = this.recordOf(recordRequest(req, raw.toString('utf8'), receivedAt));
    if (this.#settings.recordRequests !== false) {
      this.requests.push(record);
      res.once('close', () => {
        if (!res.writableFinished) this.closedEarly.push(record);
      });
    }
    await this.route({ req, res, record, raw });
  }
}
