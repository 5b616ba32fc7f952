import type { z } from 'zod';
import { GatewayError } from './errors';

/** `messages[0].content` from zod's path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** The first validation issue as a 400 that names the field. */
export function zodToGatewayError(error: z.ZodError): GatewayError {
  const issue = error.issues[0]!;
  // Unknown keys are reported on the parent object; name the key itself.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const param = fieldPath(path);
  const message = param ? `Invalid value for '${param}': ${issue.message}` : issue.message;
  return new GatewayError('invalid_request', message, { param: param || undefined, code: 'invalid_value' });
}
