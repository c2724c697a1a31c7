import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ApprovalStatus,
  type ModelPackage,
  ModelPackageNotFoundError,
  type ModelRegistry,
} from '../../ports/model-registry.ts';
import { decodeModelPackage } from '../../registry/model-package.ts';

/** One file per package, holding exactly DescribeModelPackage's fields. */
interface StoredPackage {
  ModelPackageGroupName: string;
  ModelPackageVersion: number;
  ModelPackageArn: string;
  ModelPackageDescription?: string;
  ModelApprovalStatus: ApprovalStatus;
  ApprovalDescription?: string;
  CreationTime: string;
  LastModifiedTime?: string;
  CustomerMetadataProperties: Record<string, string>;
}

/**
 * The local registry: `<root>/<group>/<version number, 6 digits>.json`, written to a temporary file and renamed
 * (a reader never sees half a package). Version numbers count from 1 per group, as in SageMaker.
 */
export function createFileModelRegistry(options: { root: string; groupName: string }): ModelRegistry {
  const dir = join(options.root, options.groupName);
  const file = (n: number) => join(dir, `${String(n).padStart(6, '0')}.json`);

  async function readAll(): Promise<StoredPackage[]> {
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: StoredPackage[] = [];
    for (const n of names.filter((x) => /^\d{6}\.json$/.test(x)).sort())
      out.push(JSON.parse(await readFile(join(dir, n), 'utf8')) as StoredPackage);
    return out;
  }
  async function save(p: StoredPackage, exclusive: boolean): Promise<void> {
    const tmp = `${file(p.ModelPackageVersion)}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(p, null, 2)}\n`, exclusive ? { flag: 'wx' } : {});
    await rename(tmp, file(p.ModelPackageVersion));
  }
  async function find(modelVersion: string): Promise<StoredPackage | undefined> {
    return (await readAll()).find((p) => p.CustomerMetadataProperties.modelVersion === modelVersion);
  }

  return {
    groupName: options.groupName,
    async createModelPackage(input) {
      if (input.ModelPackageGroupName !== options.groupName)
        throw new Error(
          `model package group ${input.ModelPackageGroupName} is not this registry's (${options.groupName})`,
        );
      await mkdir(dir, { recursive: true });
      const all = await readAll();
      const version = (all.at(-1)?.ModelPackageVersion ?? 0) + 1;
      const stored: StoredPackage = {
        ModelPackageGroupName: options.groupName,
        ModelPackageVersion: version,
        ModelPackageArn: `arn:aws:sagemaker:local:000000000000:model-package/${options.groupName}/${version}`,
        ...(input.ModelPackageDescription !== undefined
          ? { ModelPackageDescription: input.ModelPackageDescription }
          : {}),
        ModelApprovalStatus: input.ModelApprovalStatus,
        CreationTime: new Date().toISOString(),
        CustomerMetadataProperties: { ...input.CustomerMetadataProperties },
      };
      await save(stored, true);
      return decodeModelPackage(stored);
    },
    async list(filter) {
      return (await readAll())
        .filter((p) => filter?.status === undefined || p.ModelApprovalStatus === filter.status)
        .reverse()
        .map(decodeModelPackage);
    },
    async get(modelVersion) {
      const p = await find(modelVersion);
      return p === undefined ? undefined : decodeModelPackage(p);
    },
    async latestApproved() {
      return (await this.list({ status: 'Approved' }))[0];
    },
    async updateApprovalStatus(modelVersion, status, description) {
      const p = await find(modelVersion);
      if (p === undefined) throw new ModelPackageNotFoundError(`for model version ${modelVersion}`);
      const next: StoredPackage = {
        ...p,
        ModelApprovalStatus: status,
        ApprovalDescription: description,
        LastModifiedTime: new Date().toISOString(),
      };
      await save(next, false);
      return decodeModelPackage(next) as ModelPackage;
    },
  };
}
