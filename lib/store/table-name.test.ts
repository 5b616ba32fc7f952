import { ConfigError } from '../config/load';
import { tableNameFromEnvironment, tableNameProblem } from './table-name';

describe('tableNameProblem', () => {
  it.each<[string, string, string | undefined]>([
    ['the local default', 'aigw', undefined],
    ['a stack\'s generated name', 'Aigw-GatewayTable8E8FF3A2-1A2B3C4D5E6F', undefined],
    ['every character DynamoDB takes', 'a.b_c-D9', undefined],
    ['the shortest', 'abc', undefined],
    ['the longest', 'a'.repeat(255), undefined],
    ['too short', 'ab', '2 characters, not 3 to 255'],
    ['empty', '', '0 characters, not 3 to 255'],
    ['too long', 'a'.repeat(256), '256 characters, not 3 to 255'],
    ['a space', 'my table', '" " is not a letter, a digit, "_", "." or "-"'],
    ['a table\'s ARN (a table shared from another account)', 'arn:aws:dynamodb:eu-west-1:123456789012:table/aigw', undefined],
    ['a table\'s ARN in another partition', 'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/aigw.usage', undefined],
    ['a table\'s ARN naming a bad table', 'arn:aws:dynamodb:eu-west-1:123456789012:table/my table', '" " is not a letter, a digit, "_", "." or "-"'],
    ['an index\'s ARN', 'arn:aws:dynamodb:eu-west-1:123456789012:table/aigw/index/gsi1', '"/" is not a letter, a digit, "_", "." or "-"'],
    ['another service\'s ARN', 'arn:aws:s3:::aigw', 'an ARN, but not of a DynamoDB table (arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME)'],
    ['a letter outside ASCII', 'tablé', '"é" is not a letter, a digit, "_", "." or "-"'],
    ['a character outside the BMP, counted once', '🙂🙂', '2 characters, not 3 to 255'],
  ])('%s: %j', (_name, name, problem) => {
    expect(tableNameProblem(name)).toBe(problem);
  });
});

describe('tableNameFromEnvironment', () => {
  it.each<[string, NodeJS.ProcessEnv, string | undefined, string]>([
    ['the variable', { GATEWAY_TABLE_NAME: 'aigw-prod' }, undefined, 'aigw-prod'],
    ['the variable over the fallback', { GATEWAY_TABLE_NAME: 'shared' }, 'aigw', 'shared'],
    ['the fallback when unset', {}, 'aigw', 'aigw'],
    ['the fallback when empty', { GATEWAY_TABLE_NAME: '' }, 'aigw', 'aigw'],
  ])('answers %s', (_name, env, fallback, expected) => {
    expect(tableNameFromEnvironment(env, fallback)).toBe(expected);
  });

  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['unset, with no fallback', {}, "GATEWAY_TABLE_NAME is not set: it names the gateway's DynamoDB table."],
    ['out of pattern', { GATEWAY_TABLE_NAME: 'my table' }, 'GATEWAY_TABLE_NAME is not a DynamoDB table name (" " is not a letter, a digit, "_", "." or "-"): "my table".'],
  ])('refuses a variable %s with a ConfigError naming it', (_name, env, message) => {
    const error = (() => {
      try {
        return tableNameFromEnvironment(env);
      } catch (err) {
        return err;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ message });
  });
});
