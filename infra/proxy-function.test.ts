import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { buildSync } from 'esbuild';
import { parseConfig } from '../lib/config/load';
import { resolveForAws } from '../lib/config/resolve-for-aws';
import { proxyBundling } from './constructs/proxy-function';
import { createGatewayApp } from './gateway-app';
import { FIXTURE_CONFIG, writeConfig } from './test-fixtures';

/** A config whose text needs escaping both as JSON and as JavaScript. */
function awkwardConfig() {
  const accounts = [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' }, headers: { 'x-note': `"quoted" $HOME \`tick\` back\\slash ünï ✓ </script>\n` } }];
  return resolveForAws(parseConfig({ ...FIXTURE_CONFIG, providers: [{ id: 'openai', type: 'openai', accounts }] }), 'Aigw').config;
}

describe('proxyBundling', () => {
  it('defines process.env.GATEWAY_CONFIG_JSON as the resolved config', () => {
    // Prepare
    const { config } = resolveForAws(parseConfig(FIXTURE_CONFIG), 'Aigw');

    // Act
    const define = proxyBundling(config).define!;

    // Assess
    expect(JSON.parse(JSON.parse(define['process.env.GATEWAY_CONFIG_JSON']!))).toEqual(config);
    expect(define['process.env.GATEWAY_CONFIG_JSON']).toContain('aigw/Aigw/openai/main');
  });

  it('minifies and maps sources', () => {
    expect(proxyBundling(awkwardConfig())).toMatchObject({ minify: true, sourceMap: true });
  });

  it('gives esbuild a string literal that survives any characters in the config', () => {
    // Prepare
    const config = awkwardConfig();

    // Act: bundle a module that reads the variable, as the proxy does.
    const out = buildSync({
      stdin: { contents: 'module.exports = process.env.GATEWAY_CONFIG_JSON;', loader: 'js' },
      define: proxyBundling(config).define!,
      format: 'cjs',
      platform: 'node',
      minify: true,
      write: false,
    });
    const sandbox = { module: { exports: undefined as unknown }, process: { env: {} } };
    runInNewContext(out.outputFiles[0]!.text, sandbox);

    // Assess
    expect(JSON.parse(sandbox.module.exports as string)).toEqual(config);
  });
});

describe('the proxy bundle built by cdk synth', () => {
  it('carries the resolved config, so the deployed proxy reads it without an environment variable', () => {
    // Prepare: full bundling with the local esbuild, as `cdk synth` does.
    const { app, stack } = createGatewayApp({ context: { config: writeConfig(FIXTURE_CONFIG), outdir: mkdtempSync(join(tmpdir(), 'aigw-bundle-')) }, env: {}, cwd: tmpdir() });

    // Act
    const assembly = app.synth();

    // Assess
    type Fn = { Type: string; Properties: { Description?: string; Code?: { S3Key?: string } } };
    const resources = Object.values((assembly.getStackArtifact(stack.artifactId).template as { Resources: Record<string, Fn> }).Resources);
    const proxy = resources.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.includes('proxy'))!;
    // The asset's S3 key is its hash; the cloud assembly keeps the bundle in asset.<hash>/.
    const assetHash = proxy.Properties.Code!.S3Key!.replace(/\.zip$/, '');
    const bundle = readFileSync(join(assembly.directory, `asset.${assetHash}`, 'index.js'), 'utf8');
    // esbuild replaces only the literal expression `process.env.GATEWAY_CONFIG_JSON`; a handler that
    // reads it through a variable (`env.GATEWAY_CONFIG_JSON`) ships without its config.
    // A boolean, not toContain: a failure would otherwise print the whole 1 MB bundle.
    expect({ configBundled: bundle.includes('aigw/Aigw/openai/main') }).toEqual({ configBundled: true });
    // The SDK is the tested one, bundled, not required from the runtime; the map maps positions only.
    expect({ requiresRuntimeSdk: bundle.includes('require("@aws-sdk/client-') }).toEqual({ requiresRuntimeSdk: false });
    const map = JSON.parse(readFileSync(join(assembly.directory, `asset.${assetHash}`, 'index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect({ mapsHandler: map.sources.some((source) => source.endsWith('functions/proxy.ts')), sourcesContent: map.sourcesContent }).toEqual({ mapsHandler: true, sourcesContent: undefined });
  });
});
