/**
 * What every door (Lambda, the local server, tests) hands the gateway, and what it gets back.
 * Nothing here knows about Lambda or node:http.
 */
export interface GatewayRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Read-only: doors may hand every request without a query the same empty one. */
  query: Pick<URLSearchParams, 'get' | 'getAll' | 'has' | 'entries' | 'toString'>;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** Either the whole body, or a stream of it that the gateway reads up to its size limit. */
  body: Uint8Array | AsyncIterable<Uint8Array>;
  /**
   * The peer of the connection as the door saw it (a function URL's `requestContext.http.sourceIp`,
   * the local socket's remote address), never a header the client wrote; empty when unknown.
   */
  sourceIp: string;
  /** Fires when the client has gone away (where the door can tell). */
  signal?: AbortSignal;
  /** Epoch ms by which the response must be complete (Lambda's remaining time). */
  deadline?: number;
  /** The door's request id (Lambda's), or one the door made up. */
  requestId: string;
}

export type ResponseBody = string | Uint8Array | AsyncIterable<Uint8Array>;

export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  /**
   * A string or bytes for whole bodies; an async iterable for streams, whose chunks must be
   * written the moment they are yielded. A streamed body never throws: failures after the first
   * byte are turned into an in-band error event before it ends. Only a body with no in-band error
   * format (raw audio) throws, `TransferAborted`, for the door to abort the transfer.
   */
  body: ResponseBody;
}

export function isStreamBody(body: ResponseBody): body is AsyncIterable<Uint8Array> {
  return typeof body !== 'string' && !(body instanceof Uint8Array);
}

/** A whole body as a stream of its one chunk, for what reads streams only (a pipe, a stream screen). */
export async function* oneChunk(body: string | Uint8Array): AsyncGenerator<Uint8Array> {
  yield typeof body === 'string' ? Buffer.from(body) : body;
}
