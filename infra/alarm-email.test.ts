import { alarmEmailsFrom } from './alarm-email';

describe('alarmEmailsFrom', () => {
  it.each([
    { case: 'no context', context: undefined, emails: [] },
    { case: 'an empty value (-c alarmEmail=)', context: '', emails: [] },
    { case: 'one address', context: 'ops@example.com', emails: ['ops@example.com'] },
    { case: 'addresses separated by commas, with spaces', context: ' ops@example.com , oncall@example.org ', emails: ['ops@example.com', 'oncall@example.org'] },
    { case: 'a list (cdk.json)', context: ['ops@example.com', 'oncall@example.org'], emails: ['ops@example.com', 'oncall@example.org'] },
  ])('reads $case', ({ context, emails }) => {
    expect(alarmEmailsFrom(context)).toEqual(emails);
  });

  it.each([
    { case: 'a name without a domain', context: 'ops', error: /not an email address: ops$/ },
    { case: 'each bad address of a list', context: 'ops@example.com,oncall,me@localhost', error: /not an email address: oncall, me@localhost$/ },
    { case: 'a value that is not text', context: 42, error: /must be an email address/ },
  ])('refuses $case, naming it', ({ context, error }) => {
    expect(() => alarmEmailsFrom(context)).toThrow(error);
  });
});
