import { ConfigError } from '../lib/config/load';

// Enough to catch a typo or a missing value; SNS sends the confirmation that proves the address.
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/**
 * The addresses that get the gateway's alarms, from `cdk deploy -c alarmEmail=ops@example.com`
 * (several separated by commas, or a list in cdk.json). None when the context is absent or empty.
 * Each address must confirm the subscription from the email SNS sends it.
 */
export function alarmEmailsFrom(context: unknown): string[] {
  if (context === undefined || context === null || context === '') return [];
  const values = Array.isArray(context) ? context : [context];
  if (!values.every((v): v is string => typeof v === 'string')) throw new ConfigError('-c alarmEmail must be an email address, or several separated by commas');
  const emails = values.flatMap((v) => v.split(',')).map((e) => e.trim()).filter(Boolean);
  const bad = emails.filter((e) => !EMAIL.test(e));
  if (bad.length) throw new ConfigError(`-c alarmEmail: not an email address: ${bad.join(', ')}`);
  return emails;
}
