import { ModelPackageNotFoundError } from '../../../shared/ports/model-registry.ts';
import { CliError } from '../errors.ts';
import { formatModels } from '../run-report.ts';
import { onStage } from './adapters.ts';
import type { AwsOptions } from './stage.ts';

/** `recsys models --aws`: the stage's SageMaker package group and its deployment record. */
export async function modelsOnAws(opts: AwsOptions & { json?: boolean }): Promise<void> {
  await onStage(opts, 'listing model packages', async (a) => {
    const [packages, deployment] = await Promise.all([a.registry.list(), a.publications.getDeployment()]);
    console.log(
      opts.json
        ? JSON.stringify({ deployment: deployment ?? null, packages }, null, 2)
        : formatModels(packages, deployment).join('\n'),
    );
  });
}

/**
 * `recsys approve|reject --aws`: UpdateModelPackage. What follows is the stage's: EventBridge delivers the state
 * change to the modelApproval Lambda, which publishes an approved version, or rolls back a rejected champion.
 */
export async function changeStatusOnAws(
  opts: AwsOptions & { version: string; status: 'Approved' | 'Rejected'; description?: string },
): Promise<void> {
  await onStage(opts, `updating ${opts.version}`, async (a) => {
    const verb = opts.status === 'Approved' ? 'approved' : 'rejected';
    try {
      await a.registry.updateApprovalStatus(
        opts.version,
        opts.status,
        opts.description ?? `${verb} with recsys`,
      );
    } catch (error) {
      if (error instanceof ModelPackageNotFoundError)
        throw new CliError(
          `${opts.version} is not registered in ${a.stage.modelPackageGroup} (see recsys models --aws --stage ${a.stage.stage})`,
          1,
          { cause: error },
        );
      throw error;
    }
    const then =
      opts.status === 'Approved'
        ? 'the modelApproval Lambda publishes and activates it'
        : 'if it serves, the modelApproval Lambda rolls back to the newest other Approved version';
    console.log(`${opts.version}: ${opts.status}; ${then} (recsys runs --aws --stage ${a.stage.stage})`);
  });
}

/** `recsys rollback --aws`: the state machine in publish mode ({publishVersion, reason}) for an Approved version. */
export async function rollbackOnAws(opts: AwsOptions & { version: string }): Promise<void> {
  await onStage(opts, `rolling back to ${opts.version}`, async (a) => {
    const p = await a.registry.get(opts.version);
    if (p === undefined)
      throw new CliError(
        `${opts.version} is not registered in ${a.stage.modelPackageGroup} (recsys models --aws --stage ${a.stage.stage} lists the versions)`,
      );
    if (p.approvalStatus !== 'Approved')
      throw new CliError(
        `${opts.version} is ${p.approvalStatus}: only an Approved version can serve (recsys approve it first)`,
      );
    const started = await a.executions.start(`rollback-${opts.version}-${Date.now()}`, {
      publishVersion: opts.version,
      reason: `rollback to ${opts.version}`,
    });
    console.log(
      `started ${started.name} (${started.executionArn}): ${opts.version}'s lists are republished, then it serves`,
    );
  });
}
