import { LogNotifier } from './notifier';

it('delivers an alert as one warning line with its subject, figures and text', async () => {
  const lines: { message: string; extra: Record<string, unknown> }[] = [];
  // Powertools' warn is overloaded; a plain recording function stands in for the one form LogNotifier calls.
  const notifier = new LogNotifier({ warn: (message: string, extra: Record<string, unknown>) => void lines.push({ message, extra }) } as never);
  const budget = { kind: 'day' as const, periodId: '2026-11-26', limitMicros: 1_000_000, usedMicros: 1_000_000, fraction: 1, resetsAt: '2026-11-27T00:00:00.000Z' };

  await notifier.notify({ owner: { kind: 'team', id: 'team_1', name: 'platform' }, threshold: 1, budget });

  expect(lines).toEqual([
    {
      message: 'aigw: team "platform" reached 100% of its daily budget ($1.00 of $1.00)',
      extra: { budgetAlert: { owner: { kind: 'team', id: 'team_1', name: 'platform' }, threshold: 1, budget }, text: expect.stringContaining('Resets:    2026-11-27T00:00:00.000Z') },
    },
  ]);
});
