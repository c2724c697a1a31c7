import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SLS_BIN = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
export const PACKAGE_TIMEOUT_MS = 170_000;

/** Runs osls the way a developer would, minus anything that could reach AWS: no credentials, no telemetry. */
function slsPackage(stage: string, outDir: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^AWS_/.test(name) || name === 'RECSYS_VERSION') delete env[name];
  }
  Object.assign(env, {
    AWS_CONFIG_FILE: join(outDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(outDir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    CI: '1',
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SLS_BIN, 'package', '--stage', stage, '--package', outDir], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sls package did not finish in ${PACKAGE_TIMEOUT_MS} ms:\n${output}`));
    }, PACKAGE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`sls package exited with ${code}:\n${output}`));
    });
  });
}

/** Set by tests/helpers/package-cache-setup.ts (vitest globalSetup): one directory per `vitest run`. */
const CACHE_ENV = 'RECSYS_TEST_PACKAGE_CACHE';

/**
 * `sls package --stage <stage>` once per test run, shared by every test file that needs that stage's artifacts
 * (the package, lint, checkov and cloud-path suites): the first caller packages while the others wait for it.
 * Callers must not change the directory. Without the run's cache directory (a file run on its own outside vitest's
 * config), each call packages into a fresh temporary directory.
 */
export async function packagedStage(stage: string): Promise<string> {
  const cache = process.env[CACHE_ENV];
  if (cache === undefined) {
    const outDir = mkdtempSync(join(tmpdir(), `recsys-package-${stage}-`));
    await slsPackage(stage, outDir);
    return outDir;
  }
  const outDir = join(cache, stage);
  const done = join(cache, `${stage}.done`);
  const failed = join(cache, `${stage}.failed`);
  let mine = false;
  try {
    mkdirSync(join(cache, `${stage}.lock`));
    mine = true;
  } catch {
    // Another file is packaging this stage: wait for its outcome.
  }
  if (mine) {
    try {
      await slsPackage(stage, outDir);
      writeFileSync(done, '');
    } catch (error) {
      writeFileSync(failed, String((error as Error).message));
      throw error;
    }
    return outDir;
  }
  const deadline = Date.now() + PACKAGE_TIMEOUT_MS + 30_000;
  while (!existsSync(done)) {
    if (existsSync(failed))
      throw new Error(
        `sls package --stage ${stage} failed in another test file:\n${readFileSync(failed, 'utf8')}`,
      );
    if (Date.now() > deadline)
      throw new Error(`sls package --stage ${stage} did not finish in another test file`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return outDir;
}
