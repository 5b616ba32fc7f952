import { thresholdsFromEnv } from './thresholds-env';

it('reads the thresholds the stack sets, the defaults without any, and refuses garbage', () => {
  expect(thresholdsFromEnv('0.5, 0.8,1')).toEqual([0.5, 0.8, 1]);
  expect(thresholdsFromEnv(undefined)).toEqual([0.8, 1]);
  expect(() => thresholdsFromEnv('80%')).toThrow(/GATEWAY_BUDGET_THRESHOLDS/);
  expect(() => thresholdsFromEnv('0.5,2')).toThrow(/at most 1/);
});
