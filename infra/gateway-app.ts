import { App, Annotations, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfigFile } from '../lib/config/load';
import { alarmEmailsFrom } from './alarm-email';
import { locateConfig } from './config-source';
import { GatewayStack } from './gateway-stack';

export interface GatewayAppOptions {
  /** Context for the App (tests pass `aws:cdk:bundling-stacks: []` to skip bundling). */
  context?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const DEFAULT_STACK_NAME = 'Aigw';

/**
 * The CDK app: one GatewayStack, checked by cdk-nag's AWS Solutions rules. Throws ConfigError,
 * naming each bad field, when the config is invalid, so a bad config never reaches a deploy.
 */
export function createGatewayApp(options: GatewayAppOptions = {}) {
  const app = new App(options.context ? { context: options.context } : {});
  const source = locateConfig({ context: app.node.tryGetContext('config'), env: options.env ?? process.env, cwd: options.cwd ?? process.cwd() });
  const config = readConfigFile(source.path);
  const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? DEFAULT_STACK_NAME;
  const alarmEmails = alarmEmailsFrom(app.node.tryGetContext('alarmEmail'));
  const stack = new GatewayStack(app, stackName, { config, alarmEmails, description: 'AI API gateway (aigw): OpenAI- and Anthropic-compatible proxy' });
  if (source.from === 'example') {
    Annotations.of(stack).addInfo(`No gateway.config.json: using ${source.path}. Copy it to gateway.config.json and edit it.`);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, configPath: source.path };
}
