import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

type Hooks = Record<string, () => unknown>;
const EmrJobPlugin = require('../../../jobs/emr/deploy-plugin.cjs') as new (
  serverless: unknown,
  options: unknown,
  utils: unknown,
) => { hooks: Hooks };

/** The plugin as osls constructs it, over the resolved configuration a stage would give it. */
function pluginFor(stage: string, subnetId: string): Hooks {
  const serverless = {
    config: { servicePath: REPO_ROOT },
    service: { provider: { stage }, custom: { emrJob: { subnetId } } },
  };
  return new EmrJobPlugin(serverless, {}, { log: { notice() {}, info() {} } }).hooks;
}

describe('Plugin: jobs/emr/deploy-plugin.cjs before sls deploy', () => {
  it('refuses a stage without an EMR subnet, naming the setting and the tag', () => {
    // Prepare
    const hooks = pluginFor('prod', '');

    // Act
    const act = () => hooks['before:deploy:deploy']!();

    // Assess
    expect(act).toThrow(
      'emrSubnetId is not set for stage prod: set params.prod.emrSubnetId in serverless.yml or RECSYS_EMR_SUBNET_ID ' +
        'to a subnet tagged for-use-with-amazon-emr-managed-policies=true (README, Deploying)',
    );
  });

  it('refuses a value that is not a subnet id', () => {
    // Prepare
    const hooks = pluginFor('dev', 'vpc-0abc1234');

    // Act
    const act = () => hooks['before:deploy:deploy']!();

    // Assess
    expect(act).toThrow('emrSubnetId is "vpc-0abc1234", not a subnet id for stage dev');
  });

  it('lets a stage with a subnet id deploy', () => {
    // Prepare
    const hooks = pluginFor('dev', 'subnet-0a1b2c3d4e5f60718');

    // Act
    const result = hooks['before:deploy:deploy']!();

    // Assess
    expect(result).toBeUndefined();
  });
});
