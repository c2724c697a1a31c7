import {
  CreateModelPackageCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  type ModelPackageSummary,
  type SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { ModelPackageNotFoundError, type ModelRegistry } from '../../ports/model-registry.ts';
import { decodeModelPackage } from '../../registry/model-package.ts';

/**
 * The ModelRegistry on a SageMaker ModelPackageGroup. The champion is the first of ListModelPackages with
 * `ModelApprovalStatus: Approved` and `SortOrder: Descending` (the API sorts ascending by default). A version
 * is found by its `modelVersion` metadata property, scanning newest first.
 */
export function createSageMakerModelRegistry(options: {
  client: SageMakerClient;
  groupName: string;
}): ModelRegistry {
  const { client, groupName } = options;

  async function summaries(status?: string): Promise<ModelPackageSummary[]> {
    const out: ModelPackageSummary[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListModelPackagesCommand({
          ModelPackageGroupName: groupName,
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: 100,
          ...(status !== undefined ? { ModelApprovalStatus: status as 'Approved' } : {}),
          ...(token !== undefined ? { NextToken: token } : {}),
        }),
      );
      out.push(...(page.ModelPackageSummaryList ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return out;
  }
  const describe = async (arn: string) =>
    decodeModelPackage(await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn })));

  async function findRaw(modelVersion: string) {
    for (const s of await summaries()) {
      const d = await client.send(new DescribeModelPackageCommand({ ModelPackageName: s.ModelPackageArn }));
      if (d.CustomerMetadataProperties?.modelVersion === modelVersion) return d;
    }
    return undefined;
  }

  return {
    groupName,
    async createModelPackage(input) {
      const out = await client.send(new CreateModelPackageCommand(input));
      return describe(out.ModelPackageArn as string);
    },
    async list(filter) {
      const list = await summaries(filter?.status);
      return Promise.all(list.map((s) => describe(s.ModelPackageArn as string)));
    },
    async get(modelVersion) {
      const d = await findRaw(modelVersion);
      return d === undefined ? undefined : decodeModelPackage(d);
    },
    async latestApproved() {
      const [first] = await summaries('Approved');
      return first === undefined ? undefined : describe(first.ModelPackageArn as string);
    },
    async updateApprovalStatus(modelVersion, status, description) {
      const d = await findRaw(modelVersion);
      if (d === undefined)
        throw new ModelPackageNotFoundError(`for model version ${modelVersion} in ${groupName}`);
      await client.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: d.ModelPackageArn,
          ModelApprovalStatus: status,
          ApprovalDescription: description,
          // Resent unchanged: SageMaker merges them, and some emulators replace the map with what is sent.
          CustomerMetadataProperties: d.CustomerMetadataProperties,
        }),
      );
      return describe(d.ModelPackageArn as string);
    },
  };
}
