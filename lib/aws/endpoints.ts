/**
 * The DNS suffix of a region's AWS endpoints: `amazonaws.com`, and in the China regions
 * (`cn-north-1`, `cn-northwest-1`) `amazonaws.com.cn`.
 *
 * @example
 * awsEndpointSuffix('eu-west-1') // 'amazonaws.com'
 * awsEndpointSuffix('cn-north-1') // 'amazonaws.com.cn'
 */
export function awsEndpointSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}
