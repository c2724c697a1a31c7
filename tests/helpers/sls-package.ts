import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SLS_BIN = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
export const PACKAGE_TIMEOUT_MS = 170_000;

/** Runs osls the way a developer would, minus anything that could reach AWS: no credentials, no telemetry. */
export function slsPackage(stage: string, outDir: string): Promise<string> {
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
