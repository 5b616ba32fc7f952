import { awsEndpointSuffix } from './endpoints';

describe('awsEndpointSuffix', () => {
  it.each([
    ['us-east-1', 'amazonaws.com'],
    ['us-gov-west-1', 'amazonaws.com'],
    ['eu-central-1', 'amazonaws.com'],
    ['cn-north-1', 'amazonaws.com.cn'],
    ['cn-northwest-1', 'amazonaws.com.cn'],
  ])('is %s → %s', (region, suffix) => {
    expect(awsEndpointSuffix(region)).toBe(suffix);
  });
});
