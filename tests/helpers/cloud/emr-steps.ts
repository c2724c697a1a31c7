import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '../aws-clients.ts';

const VENV_BIN = join(process.cwd(), '.venv', 'bin');

const parseS3 = (uri: string) => {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (m === null) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1] as string, key: m[2] as string };
};

/** A step's record: what ran, how long, and its output's tail (the step's stderr in EMR's log bucket). */
export interface StepRun {
  command: string[];
  seconds: number;
  log: string;
}

/**
 * What an EMR cluster does with a step, here: the step's own command, run on this machine against the objects in
 * the moto bucket. `spark-submit` runs the job the step names (the script the deploy plugin uploaded, fetched from
 * the bucket) in Spark local mode: its s3:// inputs are copied to a scratch directory first and its s3:// output
 * copied back after, so the job reads exactly the lake objects Firehose wrote and the Lambdas read what it wrote.
 */
export function emrStepRunner(options: { motoEndpoint: string; workRoot: string; sparkCores?: number }) {
  const s3 = new S3Client(awsClientConfig(options.motoEndpoint));

  async function download(uri: string, to: string): Promise<string> {
    const { bucket, key } = parseS3(uri);
    const isPrefix = uri.endsWith('/');
    if (!isPrefix) {
      const target = join(to, key.split('/').at(-1) as string);
      await mkdir(dirname(target), { recursive: true });
      const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(obj.Body as Readable, createWriteStream(target));
      return target;
    }
    const root = join(to, key);
    await mkdir(root, { recursive: true });
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: key })) {
      for (const o of page.Contents ?? []) {
        const target = join(to, o.Key as string);
        await mkdir(dirname(target), { recursive: true });
        const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key as string }));
        await pipeline(obj.Body as Readable, createWriteStream(target));
      }
    }
    return root;
  }

  async function upload(dir: string, uri: string): Promise<number> {
    const { bucket, key } = parseS3(uri.endsWith('/') ? uri : `${uri}/`);
    let n = 0;
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.startsWith('.') && !e.name.endsWith('.crc')) {
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `${key}${relative(dir, p)}`,
              Body: await readFile(p),
            }),
          );
          n += 1;
        }
      }
    };
    await walk(dir);
    return n;
  }

  const exec = (command: string, args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; log: string }>((resolve, reject) => {
      const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      const keep = (c: Buffer) => {
        log = (log + c.toString()).slice(-20_000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, log }));
    });

  async function sparkSubmit(args: string[]): Promise<StepRun> {
    const scratch = await mkdtemp(join(options.workRoot, 'step-'));
    // The script is the first s3:// .py that is not the value of an option (--py-files names modules).
    const scriptAt = args.findIndex(
      (a, i) => a.startsWith('s3://') && a.endsWith('.py') && !args[i - 1]?.startsWith('--'),
    );
    if (scriptAt < 0) throw new Error(`the spark-submit step names no s3:// script: ${args.join(' ')}`);
    const sparkConf: string[] = [];
    for (let i = 1; i < scriptAt; i++) {
      if (args[i] === '--deploy-mode')
        i += 1; // local mode has no cluster deploy mode
      else if (args[i] === '--py-files') {
        // spark-submit on EMR fetches them from S3 itself; here they are copied beside the script.
        const files = (args[++i] as string).split(',');
        const local: string[] = [];
        for (const f of files) local.push(await download(f, join(scratch, 'code')));
        sparkConf.push('--py-files', local.join(','));
      } else sparkConf.push(args[i] as string);
    }
    const script = await download(args[scriptAt] as string, join(scratch, 'code'));
    const jobArgs = args.slice(scriptAt + 1);
    const outputs: { dir: string; uri: string }[] = [];
    const local: string[] = [];
    for (let i = 0; i < jobArgs.length; i++) {
      const a = jobArgs[i] as string;
      if (!a.startsWith('s3://')) {
        local.push(a);
      } else if (jobArgs[i - 1] === '--out') {
        const dir = join(scratch, 'out');
        outputs.push({ dir, uri: a });
        local.push(dir);
      } else {
        local.push(await download(a, join(scratch, 'in')));
      }
    }
    const cores = options.sparkCores ?? 2;
    const command = [
      join(VENV_BIN, 'spark-submit'),
      '--master',
      `local[${cores}]`,
      '--driver-memory',
      '2g',
      '--conf',
      'spark.ui.enabled=false',
      '--conf',
      `spark.sql.shuffle.partitions=${cores * 2}`,
      ...sparkConf,
      script,
      ...local,
    ];
    const t0 = performance.now();
    const python = join(VENV_BIN, 'python');
    const { code, log } = await exec(command[0] as string, command.slice(1), {
      ...process.env,
      PYSPARK_PYTHON: python,
      PYSPARK_DRIVER_PYTHON: python,
      SPARK_LOCAL_IP: '127.0.0.1',
    });
    if (code !== 0) throw new Error(`spark-submit exited with ${code}:\n${log.slice(-4_000)}`);
    for (const o of outputs) await upload(o.dir, o.uri);
    return { command, seconds: (performance.now() - t0) / 1000, log };
  }

  /**
   * The primary-node step: `bash -c '<copy "$1" from S3, then exec node on it with the rest>' $0 <s3 bundle> args…`.
   * The same two things happen here — the bundle the deploy plugin uploaded is fetched from the bucket and run by
   * this Node — with the step's own arguments, against moto_server.
   */
  async function nodeOnPrimary(args: string[]): Promise<StepRun> {
    const script = args[2] ?? '';
    if (!/aws s3 cp[^;]*"\$1"/.test(script) || !/exec \S*node\S* \S+\.mjs "\$@"/.test(script))
      throw new Error(`the stand-in does not know the primary-node step script: ${script}`);
    const scratch = await mkdtemp(join(options.workRoot, 'step-'));
    const bundle = await download(args[4] as string, join(scratch, 'code'));
    const command = [process.execPath, bundle, ...args.slice(5)];
    const t0 = performance.now();
    const { code, log } = await exec(command[0] as string, command.slice(1), {
      PATH: process.env.PATH,
      HOME: scratch,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL: options.motoEndpoint,
    });
    if (code !== 0) throw new Error(`the trainer exited with ${code}:\n${log.slice(-4_000)}`);
    return { command, seconds: (performance.now() - t0) / 1000, log };
  }

  return {
    /** Runs an EMR step's HadoopJarStep (command-runner.jar) arguments; throws when the step would fail. */
    async run(jar: string, args: string[]): Promise<StepRun> {
      if (jar !== 'command-runner.jar')
        throw new Error(`the stand-in runs command-runner.jar steps only, not ${jar}`);
      if (args[0] === 'spark-submit') return sparkSubmit(args);
      if (args[0] === 'bash' && args[1] === '-c') return nodeOnPrimary(args);
      throw new Error(`the stand-in does not know how to run the step ${args.join(' ')}`);
    },
    download,
    upload,
    close: () => s3.destroy(),
  };
}

export type EmrStepRunner = ReturnType<typeof emrStepRunner>;
