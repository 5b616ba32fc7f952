import type { BudgetStatus } from '../access/budget-status';
import { usd } from '../usage/cost';
import { percent } from './thresholds';

/** Whose budget: a key or a team, by id and name. */
export interface BudgetOwner {
  kind: 'key' | 'team';
  id: string;
  name: string;
}

/** One threshold of one budget, reached in its period: what a notifier delivers. */
export interface BudgetAlert {
  owner: BudgetOwner;
  budget: BudgetStatus;
  /** The fraction of the budget reached (0.8 for 80 %). */
  threshold: number;
  /**
   * Set when the budget is one end user's under the owner's `endUserLimits` (not the owner's own):
   * `id` as the client sent it, cut as refusals cut it (`echoedEndUser`); no `id` for calls naming none.
   */
  endUser?: { id?: string };
}

/** What a notifier sends: a subject line and a plain-text body. */
export interface AlertText {
  subject: string;
  message: string;
}

/** SNS takes subjects of printable ASCII on one line, "less than 100 characters long" (its Publish reference): 99 at most. */
const SUBJECT_MAX = 99;
const NAME_MAX = 40;

// Names come from whoever created the key or team, end users' ids from the client: keep them to one
// printable line (U+2028 and U+2029 break lines in mail readers and chat tools as \n does).
const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
const asciiOnly = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');
const shortened = (text: string, max: number) => ([...text].length <= max ? text : `${[...text].slice(0, max - 3).join('')}...`);

const PER = { day: 'daily', month: 'monthly' } as const;
const PERIOD_TEXT = { day: 'per UTC day', month: 'per calendar month (UTC)' } as const;

/**
 * The subject and text of a budget alert: whose budget, which one, what is used of it, the
 * threshold, and when it starts afresh.
 *
 * @example
 * budgetAlertText({ owner: { kind: 'key', id: 'key_1', name: 'alice' }, threshold: 0.8, budget })
 * // { subject: 'aigw: key "alice" reached 80% of its daily budget ($4.10 of $5.00)', message: 'Key "alice" (key_1) has used …' }
 */
export function budgetAlertText(alert: BudgetAlert): AlertText {
  if (alert.endUser) return endUserAlertText(alert, alert.endUser);
  const { owner, budget, threshold } = alert;
  const name = oneLine(owner.name);
  const who = `${owner.kind} "${shortened(name, NAME_MAX)}"`;
  const figures = `${usd(budget.usedMicros)} of ${usd(budget.limitMicros)}`;
  const subject = shortened(asciiOnly(`aigw: ${who} reached ${percent(threshold)} of its ${PER[budget.kind]} budget (${figures})`), SUBJECT_MAX);
  const Whose = owner.kind === 'key' ? 'Key' : 'Team';
  const used = budget.fraction >= 1 ? 'has used all' : `has used ${percent(budget.fraction)}`;
  const lines = [
    `${Whose} "${name}" (${owner.id}) ${used} of its ${PER[budget.kind]} budget: the ${percent(threshold)} threshold is reached.`,
    '',
    `Budget:    ${usd(budget.limitMicros)} ${PERIOD_TEXT[budget.kind]}, period ${budget.periodId}`,
    `Spent:     ${usd(budget.usedMicros)} (${percent(budget.fraction)}; spent, or held by calls in progress)`,
    `Threshold: ${percent(threshold)}`,
    `Resets:    ${budget.resetsAt}`,
    '',
    `Calls that do not fit in what is left are refused with 429 insufficient_quota until it resets.`,
    owner.kind === 'key'
      ? `Raise it with: aigw keys update ${owner.id} --usd-per-${budget.kind} AMOUNT`
      : `Raise it with: aigw teams update ${owner.id} --usd-per-${budget.kind} AMOUNT`,
  ];
  return { subject, message: `${lines.join('\n')}\n` };
}

/** How an end user is named in an alert: its id as sent, quoted, or the owner's anonymous bucket. */
const endUserName = (endUser: { id?: string }) => (endUser.id === undefined ? 'calls without an end user' : `end user ${JSON.stringify(oneLine(endUser.id))}`);

/**
 * The subject and text of one end user's budget alert: the end user, whose `endUserLimits` it is
 * held to (key or team), the budget (each end user's own), what it has used, and the threshold.
 *
 * @example
 * endUserAlertText({ owner: { kind: 'key', id: 'key_1', name: 'app' }, threshold: 0.8, budget }, { id: 'alice' })
 * // { subject: 'aigw: end user "alice" of key "app" reached 80% of its daily budget ($0.80 of $1.00)', message: 'End user "alice" of key "app" (key_1) has used …' }
 */
export function endUserAlertText(alert: BudgetAlert, endUser: { id?: string }): AlertText {
  const { owner, budget, threshold } = alert;
  const name = oneLine(owner.name);
  const figures = `${usd(budget.usedMicros)} of ${usd(budget.limitMicros)}`;
  const subjectWith = (endUserText: string | undefined, ownerText: string) =>
    `aigw: ${endUserText === undefined ? 'anonymous end user' : `end user "${endUserText}"`} of ${owner.kind} "${ownerText}" reached ${percent(threshold)} of its ${PER[budget.kind]} budget (${figures})`;
  // The threshold and the figures always fit; the two names share what room is left, the shorter giving the longer its spare.
  let endUserText = endUser.id === undefined ? undefined : asciiOnly(oneLine(endUser.id)).replace(/"/g, "'");
  let ownerText = asciiOnly(name);
  const room = SUBJECT_MAX - subjectWith(endUserText === undefined ? undefined : '', '').length;
  if ((endUserText?.length ?? 0) + ownerText.length > room) {
    const half = Math.floor(room / 2);
    if (endUserText !== undefined) endUserText = shortened(endUserText, Math.max(half, room - Math.min(ownerText.length, half), 3));
    ownerText = shortened(ownerText, Math.max(room - (endUserText?.length ?? 0), 3));
  }
  const subject = shortened(subjectWith(endUserText, ownerText), SUBJECT_MAX);
  const who = endUserName(endUser);
  const Who = `${who[0]!.toUpperCase()}${who.slice(1)}`;
  const used = budget.fraction >= 1 ? 'used all' : `used ${percent(budget.fraction)}`;
  const lines = [
    `${Who} of ${owner.kind} "${name}" (${owner.id}) ${endUser.id === undefined ? 'have' : 'has'} ${used} of the ${PER[budget.kind]} budget each end user of the ${owner.kind} has: the ${percent(threshold)} threshold is reached.`,
    '',
    `Budget:    ${usd(budget.limitMicros)} ${PERIOD_TEXT[budget.kind]} per end user, period ${budget.periodId}`,
    `Spent:     ${usd(budget.usedMicros)} (${percent(budget.fraction)}; spent, or held by calls in progress)`,
    `Threshold: ${percent(threshold)}`,
    `Resets:    ${budget.resetsAt}`,
    '',
    `This end user's calls that do not fit in what is left are refused with 429 insufficient_quota until it resets; other end users are not.`,
    `Raise it for every end user with: aigw ${owner.kind === 'key' ? 'keys' : 'teams'} update ${owner.id} --end-user-limits usd-per-${budget.kind}=AMOUNT`,
  ];
  return { subject, message: `${lines.join('\n')}\n` };
}
