import { ConfigError } from '../config/load';

/** The environment variable that names the gateway's table (the Lambda functions', and the local server's for a store of its own). */
export const TABLE_NAME_VARIABLE = 'GATEWAY_TABLE_NAME';

/** DynamoDB's rule for a table name: 3 to 255 characters, each a letter, a digit, `_`, `.` or `-`. */
const MIN_LENGTH = 3;
const MAX_LENGTH = 255;
const OUT_OF_PATTERN = /[^a-zA-Z0-9_.-]/u;

/**
 * A table's ARN, which DynamoDB's calls take wherever they take a name (a table in another account,
 * shared by a resource-based policy): its partition, region, account and the name after `table/`.
 */
const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/(.*)$/u;

/**
 * Why DynamoDB would refuse `name` as a table name or table ARN, or undefined when it would take
 * it. A name out of its pattern has every call refused as malformed (`ValidationException`),
 * whatever it holds: each key lookup, each usage batch.
 *
 * @example
 * tableNameProblem('aigw'); // undefined
 * tableNameProblem('arn:aws:dynamodb:eu-west-1:123456789012:table/aigw'); // undefined
 * tableNameProblem('my table'); // '" " is not a letter, a digit, "_", "." or "-"'
 */
export function tableNameProblem(name: string): string | undefined {
  const arn = TABLE_ARN.exec(name);
  if (arn) return nameProblem(arn[1]!);
  if (name.startsWith('arn:')) return 'an ARN, but not of a DynamoDB table (arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME)';
  return nameProblem(name);
}

function nameProblem(name: string): string | undefined {
  const length = [...name].length;
  if (length < MIN_LENGTH || length > MAX_LENGTH) return `${length} characters, not ${MIN_LENGTH} to ${MAX_LENGTH}`;
  const bad = OUT_OF_PATTERN.exec(name)?.[0];
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not a letter, a digit, "_", "." or "-"`;
}

/**
 * The table named by `GATEWAY_TABLE_NAME` (else `fallback`), checked once where it enters: a name
 * DynamoDB would refuse stops the process at start with a `ConfigError` naming the variable, not
 * every request after it.
 *
 * @example
 * const tableName = tableNameFromEnvironment(process.env); // the Lambda functions: the stack sets it
 * const local = tableNameFromEnvironment(env, 'aigw'); // the local server: its own table by default
 */
export function tableNameFromEnvironment(env: NodeJS.ProcessEnv, fallback?: string): string {
  const name = env[TABLE_NAME_VARIABLE] || fallback;
  if (name === undefined) throw new ConfigError(`${TABLE_NAME_VARIABLE} is not set: it names the gateway's DynamoDB table.`);
  const problem = tableNameProblem(name);
  if (problem) throw new ConfigError(`${TABLE_NAME_VARIABLE} is not a DynamoDB table name (${problem}): ${JSON.stringify(name)}.`);
  return name;
}
