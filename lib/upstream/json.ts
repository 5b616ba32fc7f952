import { GatewayError } from '../http/errors';
import { jsonText } from '../http/json-text';

/** A whole upstream answer's JSON; an answer that is not JSON is the upstream's fault (502 `upstream_bad_response`). */
export function upstreamJson(bytes: Uint8Array, providerId: string | undefined): unknown {
  try {
    return JSON.parse(jsonText(bytes));
  } catch (err) {
    throw new GatewayError('upstream_error', `The upstream provider "${providerId}" answered with something that is not JSON.`, { code: 'upstream_bad_response', cause: err });
  }
}
