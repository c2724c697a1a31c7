'use strict';
/**
 * Serverless plugin: ships the EMR training job with the deployment.
 *
 * - `${emrjob:scriptKey}` / `${emrjob:basketsKey}` / `${emrjob:configKey}` / `${emrjob:trainerKey}` / `${emrjob:bootstrapKey}` /
 *   `${emrjob:prefix}` resolve at package time (offline) to `code/emr/<sha256-12>/train_als.py`,
 *   `…/baskets.py` (its module), `…/event-weights.json`, `…/trainer.mjs` (the TypeScript trainer built into one file by
 *   jobs/trainer/bundle.cjs) and `…/bootstrap-node.sh` (Node 22 on the primary node) in the lake bucket. The
 *   hash covers all five, so the keys change exactly when a job, the bundle or the shared weights change: a
 *   state machine execution that started before a deploy keeps reading the version it started with, and old
 *   keys can be expired.
 * - after `sls deploy`, uploads the files under those keys (skipped when already there) and, once, the PEM
 *   bundle of the EMR in-transit encryption (resources/emr.yml) generated with openssl.
 *
 * CommonJS because the Serverless plugin loader require()s local plugins.
 */
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { crc32 } = require('node:zlib');
const { DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');
const { HeadObjectCommand, PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');

const { buildTrainerBundle } = require('../trainer/bundle.cjs');

const JOB = 'jobs/emr/train_als.py';
// The job's module, passed to spark-submit with --py-files by the retrain state machine's step.
const BASKETS = 'jobs/emr/baskets.py';
const WEIGHTS = 'shared/model/event-weights.json';
const BOOTSTRAP = 'jobs/emr/bootstrap-node.sh';
const TLS_KEY = 'security/emr-tls/certificates.zip';

async function jobKeys(root) {
  const script = readFileSync(join(root, JOB));
  const baskets = readFileSync(join(root, BASKETS));
  const config = readFileSync(join(root, WEIGHTS));
  const bootstrap = readFileSync(join(root, BOOTSTRAP));
  const trainer = (await buildTrainerBundle(root)).code;
  const hash = createHash('sha256');
  for (const part of [script, baskets, config, trainer, bootstrap]) hash.update(part).update('\0');
  const prefix = `code/emr/${hash.digest('hex').slice(0, 12)}`;
  return {
    prefix,
    scriptKey: `${prefix}/train_als.py`,
    basketsKey: `${prefix}/baskets.py`,
    configKey: `${prefix}/event-weights.json`,
    trainerKey: `${prefix}/trainer.mjs`,
    bootstrapKey: `${prefix}/bootstrap-node.sh`,
    files: [
      [`${prefix}/train_als.py`, script, 'text/x-python'],
      [`${prefix}/baskets.py`, baskets, 'text/x-python'],
      [`${prefix}/event-weights.json`, config, 'application/json'],
      [`${prefix}/trainer.mjs`, trainer, 'text/javascript'],
      [`${prefix}/bootstrap-node.sh`, bootstrap, 'text/x-shellscript'],
    ],
  };
}

/** A zip of stored (uncompressed) entries: all the PEM provider needs, without a zip dependency. */
function storedZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += local.length + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The file names EMR's PEM provider expects; one self-signed certificate serves as chain and trust. */
function tlsBundle(region) {
  const dir = mkdtempSync(join(tmpdir(), 'emr-tls-'));
  try {
    const domain = region === 'us-east-1' ? '*.ec2.internal' : `*.${region}.compute.internal`;
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '825',
        '-subj',
        `/CN=${domain}`,
        '-keyout',
        join(dir, 'privateKey.pem'),
        '-out',
        join(dir, 'certificateChain.pem'),
      ],
      { encoding: 'utf8' },
    );
    if (r.error || r.status !== 0) throw new Error(`openssl failed: ${r.error?.message ?? r.stderr}`);
    const key = readFileSync(join(dir, 'privateKey.pem'));
    const cert = readFileSync(join(dir, 'certificateChain.pem'));
    return storedZip([
      ['privateKey.pem', key],
      ['certificateChain.pem', cert],
      ['trustedCertificates.pem', cert],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class EmrJobPlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log ?? { notice: console.log, info: console.log };
    const root = serverless.config.servicePath;
    // Every ${emrjob:…} address resolves from one build of the bundle.
    let keys;
    this.configurationVariablesSources = {
      emrjob: {
        resolve: async ({ address }) => {
          keys ??= jobKeys(root);
          const k = await keys;
          if (!(address in k) || address === 'files') throw new Error(`emrjob: unknown address "${address}"`);
          return { value: k[address] };
        },
      },
    };
    this.hooks = {
      'before:deploy:deploy': () => this.checkSubnet(),
      'after:deploy:deploy': () => this.upload(root),
    };
  }

  // A cluster without a tagged subnet is refused by EMR only when the first retrain runs, hours after the deploy
  // that caused it; refusing the deploy names the setting while the engineer is still at the terminal.
  checkSubnet() {
    const subnetId = String(this.serverless.service.custom?.emrJob?.subnetId ?? '');
    if (!/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) {
      const stage = this.serverless.service.provider.stage;
      throw new Error(
        `emrSubnetId is ${subnetId ? `"${subnetId}", not a subnet id` : 'not set'} for stage ${stage}: ` +
          `set params.${stage}.emrSubnetId in serverless.yml or RECSYS_EMR_SUBNET_ID to a subnet tagged ` +
          'for-use-with-amazon-emr-managed-policies=true (README, Deploying)',
      );
    }
  }

  // osls 4 removed the SDK v2 `provider.request`; clients are built from the provider's v3 config, which carries the
  // deploy's region, profile and credentials.
  async upload(root) {
    const provider = this.serverless.getProvider('aws');
    const stackName = provider.naming.getStackName();
    const cloudFormation = await provider.getCloudFormationClient();
    const stacks = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const bucket = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'LakeBucketName')?.OutputValue;
    if (!bucket) throw new Error(`stack ${stackName} has no LakeBucketName output`);
    const s3 = new S3Client(await provider.getAwsSdkV3Config());
    const exists = (Key) =>
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key })).then(
        () => true,
        (e) => {
          if (e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404) return false;
          throw e;
        },
      );
    const put = (Key, Body, ContentType) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }));
    for (const [Key, Body, ContentType] of (await jobKeys(root)).files) {
      if (await exists(Key)) continue;
      await put(Key, Body, ContentType);
      this.log.notice(`EMR job: uploaded s3://${bucket}/${Key}`);
    }
    if (!(await exists(TLS_KEY))) {
      await put(TLS_KEY, tlsBundle(provider.getRegion()), 'application/zip');
      this.log.notice(`EMR in-transit encryption: generated s3://${bucket}/${TLS_KEY}`);
    }
  }
}

module.exports = EmrJobPlugin;
module.exports.jobKeys = jobKeys;
module.exports.storedZip = storedZip;
