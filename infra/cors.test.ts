import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../lib/config/load';
import { resolveForAws } from '../lib/config/resolve-for-aws';
import { proxyBundling } from './constructs/proxy-function';
import { FIXTURE_CONFIG, fixtureApp } from './test-fixtures';

/** A config whose browser apps are those of two origins. */
const CORS_CONFIG = { ...FIXTURE_CONFIG, cors: { allowOrigins: ['https://chat.example.com', 'http://localhost:3000'], maxAgeSeconds: 600 } };

describe('CORS on AWS', () => {
  it('gives neither function URL a CORS setting of its own, whatever the config says: the proxy function answers browsers itself', () => {
    // Prepare
    const template = Template.fromStack(fixtureApp(CORS_CONFIG).stack);

    // Act
    const urls = template.findResources('AWS::Lambda::Url');

    // Assess: the proxy's URL and the admin's, neither answering preflights nor writing headers over the function's.
    expect(Object.keys(urls)).toHaveLength(2);
    template.allResourcesProperties('AWS::Lambda::Url', { Cors: Match.absent() });
  });

  it('bakes the config’s cors section into the proxy’s bundle, where the function reads it at cold start', () => {
    // Prepare
    const { config } = resolveForAws(parseConfig(CORS_CONFIG), 'Aigw');

    // Act
    const baked = JSON.parse(JSON.parse(proxyBundling(config).define!['process.env.GATEWAY_CONFIG_JSON']!)) as { cors?: unknown };

    // Assess
    expect(baked.cors).toEqual({ allowOrigins: ['https://chat.example.com', 'http://localhost:3000'], allowHeaders: [], maxAgeSeconds: 600 });
  });
});
