import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gateMetricsFromHoldout } from '../../shared/evaluation/holdout.ts';
import type { ArtifactManifest, HoldoutLine } from '../../shared/model/artifact.ts';
import type { TrainingEngine } from '../../shared/ports/training-engine.ts';
import { modelVersion } from '../../shared/training/pipeline.ts';
import { dataDirLayout } from '../data-dir.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SPARK_JOB = join(ROOT, 'jobs/emr/train_als.py');
const EVENT_WEIGHTS = join(ROOT, 'shared/model/event-weights.json');
/** What train_als.py imports from beside it (jobs/emr/deploy-plugin.cjs uploads the same). */
const SPARK_JOB_MODULES = ['baskets.py'];

export interface SparkTrainOptions {
  /** The lake root (`<data-dir>/lake`): the job reads `raw/events/` under it. */
  lakeRoot: string;
  /** The model store; the artifact goes to `<outDir>/<version>/`. */
  outDir: string;
  configPath?: string;
  rank?: number;
  iterations?: number;
  regularization?: number;
  alpha?: number;
  /** ALS blocks and output partitions; default: 2 × cores. */
  partitions?: number;
  holdoutDays?: number;
  /** Local mode runs everything in the driver JVM, so this is the job's whole heap. */
  driverMemory?: string;
  /** Every line the job prints (Spark's log and the job's progress), as it arrives. */
  onLine?: (line: string) => void;
  /** Where `.venv` lives; defaults to the repository root. */
  venvDir?: string;
  /** The artifact version (the retrain state machine fixes it up front); default: now + random suffix. */
  version?: string;
  /** Another copy of the job script (bench:spark --against runs an older revision); default jobs/emr/train_als.py. */
  jobPath?: string;
}

export class SparkUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SparkUnavailableError';
  }
}

export class SparkJobError extends Error {
  readonly exitCode: number | null;
  constructor(exitCode: number | null, tail: string) {
    super(`the Spark job exited with ${exitCode ?? 'a signal'}; its last output:\n${tail}`);
    this.name = 'SparkJobError';
    this.exitCode = exitCode;
  }
}

/** Finds spark-submit (pyspark ships it in the venv) and Java, or says how to get them. */
export function sparkTools(venvDir = join(ROOT, '.venv')): { sparkSubmit: string; python: string } {
  const sparkSubmit = join(venvDir, 'bin', 'spark-submit');
  const python = join(venvDir, 'bin', 'python');
  if (!existsSync(sparkSubmit) || !existsSync(python))
    throw new SparkUnavailableError(
      `spark-submit not found in ${venvDir}: run 'bash scripts/python-env.sh' (it installs pyspark from requirements-dev.txt)`,
    );
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0)
    throw new SparkUnavailableError(
      `Java is needed to run Spark and '${java} -version' failed: install a Java 17 runtime (e.g. 'apt-get install openjdk-17-jre-headless') or set JAVA_HOME`,
      { cause: probe.error },
    );
  return { sparkSubmit, python };
}

/** `--py-files` for the modules the job imports, as the retrain state machine's step passes them. */
function pyFiles(job: string): string[] {
  const modules = SPARK_JOB_MODULES.map((m) => join(dirname(job), m)).filter((p) => existsSync(p));
  return modules.length > 0 ? ['--py-files', modules.join(',')] : [];
}

/**
 * Trains with the EMR job (jobs/emr/train_als.py) in Spark local mode on the local lake and returns the
 * artifact's directory. The job does not compute metrics (the artifact format leaves them to the one TS
 * evaluation code), so the manifest's `validation.model`/`baseline` are filled in here from `holdout/` with
 * `gateMetricsFromHoldout`, and the manifest is replaced atomically — present still means complete.
 */
export async function trainWithSpark(options: SparkTrainOptions): Promise<{ artifactDir: string }> {
  const { sparkSubmit, python } = sparkTools(options.venvDir);
  const version = options.version ?? modelVersion(Date.now(), randomBytes(4).toString('hex'));
  const artifactDir = resolve(options.outDir, version);
  const cores = availableParallelism();
  const partitions = options.partitions ?? Math.max(2, cores * 2);
  const job = options.jobPath ?? SPARK_JOB;
  const args = [
    '--master',
    `local[${cores}]`,
    '--driver-memory',
    options.driverMemory ?? '2g',
    '--conf',
    'spark.ui.enabled=false',
    '--conf',
    `spark.sql.shuffle.partitions=${partitions}`,
    '--conf',
    `spark.default.parallelism=${partitions}`,
    // The job's modules beside it (baskets.py); an older revision run by bench:spark --against may have none.
    ...pyFiles(job),
    job,
    '--events',
    resolve(options.lakeRoot, 'raw/events'),
    // The catalog, for the complements' near-substitute test (as the state machine's step passes it).
    '--items',
    resolve(options.lakeRoot, 'raw/items'),
    '--out',
    artifactDir,
    '--version',
    version,
    '--config',
    resolve(options.configPath ?? EVENT_WEIGHTS),
    '--partitions',
    String(partitions),
  ];
  if (options.rank !== undefined) args.push('--rank', String(options.rank));
  if (options.iterations !== undefined) args.push('--iterations', String(options.iterations));
  if (options.regularization !== undefined) args.push('--reg', String(options.regularization));
  if (options.alpha !== undefined) args.push('--alpha', String(options.alpha));
  if (options.holdoutDays !== undefined) args.push('--holdout-days', String(options.holdoutDays));

  const tail: string[] = [];
  const code = await new Promise<number | null>((resolveExit, reject) => {
    const child = spawn(sparkSubmit, args, {
      env: {
        ...process.env,
        // Executors (threads of this JVM in local mode) start Python workers: they need the venv's numpy.
        PYSPARK_PYTHON: python,
        PYSPARK_DRIVER_PYTHON: python,
        // No lookup of the machine's hostname: local mode needs only the loopback interface.
        SPARK_LOCAL_IP: process.env.SPARK_LOCAL_IP ?? '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (carry: { rest: string }) => (chunk: Buffer) => {
      const parts = (carry.rest + chunk.toString()).split('\n');
      carry.rest = parts.pop() ?? '';
      for (const line of parts) emit(line);
    };
    const emit = (line: string) => {
      tail.push(line);
      if (tail.length > 60) tail.shift();
      options.onLine?.(line);
    };
    const out = { rest: '' };
    const err = { rest: '' };
    child.stdout.on('data', onData(out));
    child.stderr.on('data', onData(err));
    child.on('error', reject);
    child.on('close', (c) => {
      for (const c2 of [out, err]) if (c2.rest !== '') emit(c2.rest);
      resolveExit(c);
    });
  });
  if (code !== 0) throw new SparkJobError(code, tail.join('\n'));
  await completeValidation(artifactDir);
  return { artifactDir };
}

/** Adds the gate's metrics at `validation.k` to a Spark-written manifest (from its holdout lists). */
async function completeValidation(artifactDir: string): Promise<ArtifactManifest> {
  const path = join(artifactDir, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as ArtifactManifest;
  const lines: HoldoutLine[] = [];
  for (const f of manifest.files.filter((f) => f.startsWith('holdout/')).sort()) {
    for (const l of (await readFile(join(artifactDir, f), 'utf8')).split('\n'))
      if (l !== '') lines.push(JSON.parse(l) as HoldoutLine);
  }
  const gate = gateMetricsFromHoldout(lines, manifest.validation.k, { catalogSize: manifest.shapes.items });
  manifest.validation = { ...manifest.validation, model: gate.model, baseline: gate.baseline };
  await writeFile(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return manifest;
}

interface SparkEngineOptions {
  dataDir: string;
  /** The model store the job writes `<version>/` into; default `<data-dir>/models`. */
  modelsDir?: string;
  /** Every line Spark prints goes to the request's onProgress; by default only the job's own progress does. */
  verbose?: boolean;
}

/**
 * `--engine spark` as a TrainingEngine: the EMR job in Spark local mode on the data directory's lake. It trains
 * ALS from the lake only, so the request's source, model and budget are the caller's to check.
 */
export function createSparkTrainingEngine(options: SparkEngineOptions): TrainingEngine {
  const layout = dataDirLayout(options.dataDir);
  return {
    name: 'spark',
    async train(request) {
      const { artifactDir } = await trainWithSpark({
        lakeRoot: layout.lake,
        outDir: options.modelsDir ?? layout.models,
        ...(request.version !== undefined ? { version: request.version } : {}),
        // Spark's own log is in the step's stderr on EMR, and too loud here unless asked for.
        onLine: (line) => {
          if (options.verbose === true) request.onProgress?.(line);
          else if (line.startsWith('[train_als]')) request.onProgress?.(line.slice(12));
        },
      });
      const manifest = JSON.parse(
        await readFile(join(artifactDir, 'manifest.json'), 'utf8'),
      ) as ArtifactManifest;
      return { version: manifest.version, location: artifactDir, manifest, warnings: [] };
    },
  };
}
