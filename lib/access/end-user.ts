import { hash } from 'node:crypto';
import { GatewayError } from '../http/errors';
import type { KeyLimits } from './api-key';
import type { BudgetOwner } from '../alerts/message';
import type { Caller, LimitScope } from './caller';
import { hasRateLimits } from './rate-limits';
import { hasSpendLimits } from './spend-limits';

/*
 * End users: the people (or tenants) a product serves through one gateway key. The gateway takes
 * the caller's word for who they are (a header or the API's own user field): an identifier for
 * attribution and limits, not a verified identity.
 */

/** The header that names the end user on every surface; it wins over the body's field. */
export const END_USER_HEADER = 'x-aigw-end-user';

/** The longest end-user id taken: Claude Code's `metadata.user_id` (~160 characters) fits; a prompt pasted by mistake does not. */
export const MAX_END_USER_LENGTH = 256;

/**
 * The end user a request names, and where: the header, else the body's field of its surface
 * (OpenAI `user`; Chat Completions and Responses `safety_identifier`, then `user`; Anthropic `metadata.user_id`;
 * Gemini and rerank have none). An empty value names no one. A value of the wrong type is left
 * to the surface's own checks. Reads only the already-parsed body.
 *
 * Throws a 400 naming the header or field when the id is longer than `MAX_END_USER_LENGTH`, or
 * holds a lone surrogate (`invalid_end_user`: its digest would be that of other ids).
 *
 * @example
 * endUserOf('openai', {}, { user: 'u-42', messages: [] }); // 'u-42'
 * endUserOf('anthropic', { 'x-aigw-end-user': 'acme' }, { metadata: { user_id: 'u-1' } }); // 'acme'
 * endUserOf('gemini', {}, { contents: [] }); // undefined
 */
export function endUserOf(surface: string, headers: Readonly<Record<string, string | undefined>>, body: Record<string, unknown>): string | undefined {
  const header = headers[END_USER_HEADER];
  if (header) return bounded(header, `header ${END_USER_HEADER}`, undefined);
  const [value, param] = fieldOf(surface, body);
  return typeof value === 'string' && value ? bounded(value, param!, param) : undefined;
}

/** The body's end-user field of a surface, and its name for a refusal. */
function fieldOf(surface: string, body: Record<string, unknown>): [unknown, string?] {
  switch (surface) {
    case 'anthropic': {
      const metadata = body.metadata;
      return typeof metadata === 'object' && metadata !== null ? [(metadata as Record<string, unknown>).user_id, 'metadata.user_id'] : [undefined];
    }
    case 'openai':
    case 'openai-responses':
      // `safety_identifier` replaces `user` on Chat Completions and Responses (OpenAI's SDK marks `user` deprecated); either may come.
      return typeof body.safety_identifier === 'string' && body.safety_identifier ? [body.safety_identifier, 'safety_identifier'] : [body.user, 'user'];
    case 'gemini':
    case 'rerank':
      return [undefined];
    default:
      // Completions, embeddings, images, audio, moderations: OpenAI's `user`.
      return surface.startsWith('openai-') ? [body.user, 'user'] : [undefined];
  }
}

/** A surrogate on its own (`\ud800` in a JSON string): with the `u` flag a pair reads as one code point, so only a lone one matches. */
const LONE_SURROGATE = /\p{Cs}/u;

function bounded(id: string, where: string, param: string | undefined): string {
  if (id.length > MAX_END_USER_LENGTH) {
    throw new GatewayError('invalid_request', `The end-user id in ${where} is ${id.length} characters long; at most ${MAX_END_USER_LENGTH} are taken.`, {
      code: 'end_user_too_long',
      ...(param ? { param } : {}),
    });
  }
  // Refused rather than counted: read as UTF-8 (the digest, the usage record) every lone surrogate is U+FFFD, so ids differing only there would be one end user.
  if (LONE_SURROGATE.test(id)) {
    throw new GatewayError('invalid_request', `The end-user id in ${where} is not well-formed Unicode (it holds a lone surrogate).`, { code: 'invalid_end_user', ...(param ? { param } : {}) });
  }
  return id;
}

/** Limits every end user of a key (or of a team's keys) is held to, each with counters of its own. */
export interface EndUserRule {
  /** The key's id or the team's: each end user's counters are derived from it. */
  ownerId: string;
  /** How a refusal names the owner: `this API key`, `team "platform"`. */
  ownerName: string;
  limits: KeyLimits;
}

/** The refusal of a call that names no end user, by a key that requires one (`endUserRequired`). */
export function endUserRequired(): GatewayError {
  return new GatewayError('invalid_request', `This API key requires an end user: send the ${END_USER_HEADER} header (or the API's user field).`, { code: 'end_user_required' });
}

/** What the anonymous bucket's counters are called: no digest (22 characters) can be this. */
const ANONYMOUS = 'anonymous';
/** How much of an end user's id a refusal (or an alert) echoes: it is the caller's own value, but a message is no place for all of it. */
const ECHOED = 64;

/**
 * An end user's id as refusals and budget alerts show it: its first 64 characters, then `…`.
 *
 * @example
 * echoedEndUser('alice'); // 'alice'
 */
export const echoedEndUser = (endUser: string) => (endUser.length > ECHOED ? `${endUser.slice(0, endsPair(endUser, ECHOED) ? ECHOED - 1 : ECHOED)}…` : endUser);

/** Whether cutting `text` at `at` would split a surrogate pair (an emoji, say) and leave half of it. */
const endsPair = (text: string, at: number) => /[\ud800-\udbff]/.test(text[at - 1] ?? '') && /[\udc00-\udfff]/.test(text[at] ?? '');

/**
 * The counters' id of an end user under an owner (key or team): the owner's id and a digest of
 * the end user's, so that item keys stay short whatever the id and never hold it. Calls that name
 * no end user share one anonymous bucket.
 *
 * @example
 * endUserCounterId('key_0123456789abcdef', 'alice'); // 'key_0123456789abcdef@<22 base64url characters>'
 * endUserCounterId('key_0123456789abcdef', undefined); // 'key_0123456789abcdef@anonymous'
 */
export function endUserCounterId(ownerId: string, endUser: string | undefined): string {
  return `${ownerId}@${endUser === undefined ? ANONYMOUS : hash('sha256', endUser, 'base64url').slice(0, 22)}`;
}

/**
 * The scope of one end user under one rule, named for a refusal (`end user "alice" of this API key`);
 * with its `owner`, it also carries what a budget alert names (`endUser`).
 *
 * @example
 * endUserScope({ ownerId: 'key_1', ownerName: 'this API key', limits: { requestsPerMinute: 10 } }, 'alice');
 * // { id: 'key_1@…', name: 'end user "alice" of this API key', limits: { requestsPerMinute: 10 } }
 */
export function endUserScope(rule: EndUserRule, endUser: string | undefined, owner?: BudgetOwner): LimitScope {
  const who = endUser === undefined ? 'calls without an end user' : `end user ${JSON.stringify(echoedEndUser(endUser))}`;
  return { id: endUserCounterId(rule.ownerId, endUser), name: `${who} of ${rule.ownerName}`, limits: rule.limits, ...(owner ? { endUser: { owner, id: endUser } } : {}) };
}

/** Whose `endUserLimits` a rule is, as budget alerts name it: the key's own, or its team's. */
function ownerOf(caller: Caller, rule: EndUserRule): BudgetOwner {
  return rule.ownerId === caller.key.id ? { kind: 'key', id: rule.ownerId, name: caller.key.name } : { kind: 'team', id: rule.ownerId, name: caller.team?.name ?? rule.ownerId };
}

/**
 * The scopes a call must pass: the caller's own (worked out when its key was cached), and, when
 * its key or team has end-user limits, its end user's under each. A caller without end-user
 * limits gets its own lists back, with nothing built. Throws `end_user_required` for a call that
 * names no end user by a key that requires one: here, where model calls are counted, so that
 * token counts (which are not) are not refused.
 *
 * @example
 * limitScopesOf(caller, 'alice'); // { rate: [key, team, end user of key], spend: […] }
 */
export function limitScopesOf(caller: Caller, endUser: string | undefined): Pick<Caller, 'rate' | 'spend'> {
  if (endUser === undefined && caller.endUserRequired) throw endUserRequired();
  if (!caller.endUsers) return caller;
  const scopes = caller.endUsers.map((rule) => endUserScope(rule, endUser, ownerOf(caller, rule)));
  const rate = [...(caller.rate ?? []), ...scopes.filter((s) => hasRateLimits(s.limits))];
  const spend = [...(caller.spend ?? []), ...scopes.filter((s) => hasSpendLimits(s.limits))];
  return { ...(rate.length ? { rate } : {}), ...(spend.length ? { spend } : {}) };
}

/**
 * A short digest of an end-user id for the access log line: enough to tell end users apart while
 * reading logs, without writing the caller's identifier into them.
 *
 * @example
 * endUserDigest('alice'); // 'KzQ8…' (12 base64url characters)
 */
export function endUserDigest(endUser: string): string {
  return hash('sha256', endUser, 'base64url').slice(0, 12);
}
