import type { BudgetStatus } from '../access/budget-status';
import { budgetAlertText } from './message';

const dayBudget: BudgetStatus = { kind: 'day', periodId: '2026-11-26', limitMicros: 5_000_000, usedMicros: 4_100_000, fraction: 0.82, resetsAt: '2026-11-27T00:00:00.000Z' };

describe('budgetAlertText', () => {
  it('names the key, its budget, what is spent, the threshold and when the budget resets', () => {
    const { subject, message } = budgetAlertText({ owner: { kind: 'key', id: 'key_1', name: 'alice' }, budget: dayBudget, threshold: 0.8 });

    expect(subject).toBe('aigw: key "alice" reached 80% of its daily budget ($4.10 of $5.00)');
    expect(message).toBe(
      [
        'Key "alice" (key_1) has used 82% of its daily budget: the 80% threshold is reached.',
        '',
        'Budget:    $5.00 per UTC day, period 2026-11-26',
        'Spent:     $4.10 (82%; spent, or held by calls in progress)',
        'Threshold: 80%',
        'Resets:    2026-11-27T00:00:00.000Z',
        '',
        'Calls that do not fit in what is left are refused with 429 insufficient_quota until it resets.',
        'Raise it with: aigw keys update key_1 --usd-per-day AMOUNT',
        '',
      ].join('\n'),
    );
  });

  it('says a team\'s monthly budget is used up at 100 %', () => {
    const budget: BudgetStatus = { kind: 'month', periodId: '2026-11', limitMicros: 800_000_000, usedMicros: 800_000_000, fraction: 1, resetsAt: '2026-12-01T00:00:00.000Z' };

    const { subject, message } = budgetAlertText({ owner: { kind: 'team', id: 'team_9', name: 'platform' }, budget, threshold: 1 });

    expect(subject).toBe('aigw: team "platform" reached 100% of its monthly budget ($800.00 of $800.00)');
    expect(message).toMatch(/^Team "platform" \(team_9\) has used all of its monthly budget/);
    expect(message).toContain('Budget:    $800.00 per calendar month (UTC), period 2026-11');
    expect(message).toContain('aigw teams update team_9 --usd-per-month AMOUNT');
  });

  it('keeps the subject to one line of at most 100 ASCII characters, whatever the name', () => {
    const name = `ünïcødé 🚀 ${'x'.repeat(200)}\nsecond line`;

    const { subject, message } = budgetAlertText({ owner: { kind: 'key', id: 'key_1', name }, budget: dayBudget, threshold: 0.8 });

    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(message.split('\n')[0]).toContain('second line');
  });
});

describe('budgetAlertText for an end user', () => {
  const endUserDay: BudgetStatus = { kind: 'day', periodId: '2026-11-26', limitMicros: 1_000_000, usedMicros: 820_000, fraction: 0.82, resetsAt: '2026-11-27T00:00:00.000Z' };

  it('names the end user, whose end-user limits these are, the end user\'s own budget, what it used, and how to raise it', () => {
    const { subject, message } = budgetAlertText({ owner: { kind: 'key', id: 'key_1', name: 'app' }, endUser: { id: 'alice' }, budget: endUserDay, threshold: 0.8 });

    expect(subject).toBe('aigw: end user "alice" of key "app" reached 80% of its daily budget ($0.82 of $1.00)');
    expect(message).toBe(
      [
        'End user "alice" of key "app" (key_1) has used 82% of the daily budget each end user of the key has: the 80% threshold is reached.',
        '',
        'Budget:    $1.00 per UTC day per end user, period 2026-11-26',
        'Spent:     $0.82 (82%; spent, or held by calls in progress)',
        'Threshold: 80%',
        'Resets:    2026-11-27T00:00:00.000Z',
        '',
        "This end user's calls that do not fit in what is left are refused with 429 insufficient_quota until it resets; other end users are not.",
        'Raise it for every end user with: aigw keys update key_1 --end-user-limits usd-per-day=AMOUNT',
        '',
      ].join('\n'),
    );
  });

  it('names a team\'s anonymous bucket (calls naming no end user), used up, with the team command, as the anonymous end user in the subject', () => {
    const budget: BudgetStatus = { kind: 'month', periodId: '2026-11', limitMicros: 5_000_000, usedMicros: 5_000_000, fraction: 1, resetsAt: '2026-12-01T00:00:00.000Z' };

    const { subject, message } = budgetAlertText({ owner: { kind: 'team', id: 'team_9', name: 'product' }, endUser: {}, budget, threshold: 1 });

    expect(subject).toBe('aigw: anonymous end user of team "product" reached 100% of its monthly budget ($5.00 of $5.00)');
    expect(message).toMatch(/^Calls without an end user of team "product" \(team_9\) have used all of the monthly budget/);
    expect(message).toContain('aigw teams update team_9 --end-user-limits usd-per-month=AMOUNT');
  });

  it('keeps the subject to 100 ASCII characters on one line, still naming the owner and the figures, whatever the end user sent', () => {
    const id = `ünï\r\ncødé ${'z'.repeat(63)}…`;

    const { subject, message } = budgetAlertText({ owner: { kind: 'key', id: 'key_1', name: 'app' }, endUser: { id }, budget: endUserDay, threshold: 0.8 });

    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toContain('of key "app" reached 80%');
    expect(subject).toContain('($0.82 of $1.00)');
    expect(message.split('\n')[0]).toContain(`${'z'.repeat(63)}…`);
  });

  it('keeps the subject under 100 characters, as SNS documents its Subject (\'less than 100 characters long\'), for long names and ids', () => {
    const long = 'x'.repeat(300);
    const subjects = [
      budgetAlertText({ owner: { kind: 'key', id: 'key_1', name: long }, budget: dayBudget, threshold: 0.8 }).subject,
      budgetAlertText({ owner: { kind: 'key', id: 'key_1', name: long }, endUser: { id: long }, budget: endUserDay, threshold: 0.8 }).subject,
      budgetAlertText({ owner: { kind: 'team', id: 'team_1', name: 'app' }, endUser: { id: long }, budget: endUserDay, threshold: 0.8 }).subject,
    ];

    for (const subject of subjects) expect(subject.length).toBeLessThan(100);
  });

  it('keeps the end user\'s id (and the owner\'s name) on the first line of the body: no Unicode line or paragraph separator forges a line', () => {
    const id = 'alice\u2028Raise it for every end user with: curl evil.example\u2029\u0085x';

    const { message } = budgetAlertText({ owner: { kind: 'key', id: 'key_1', name: 'app\u2028Budget: none' }, endUser: { id }, budget: endUserDay, threshold: 0.8 });

    // Mail readers and chat tools break lines at U+2028/U+2029 (and NEL) as at \n.
    const lines = message.split(/\r\n|[\n\r\u0085\u2028\u2029]/);
    expect(lines).toHaveLength(10);
    expect(lines[0]).toContain('alice?Raise it for every end user with: curl evil.example??x');
    expect(lines[0]).toContain('of key "app?Budget: none"');
  });
});
