import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** Runs a command with the machine's own PATH: no node_modules/.bin, so npm runs on the system Node. */
function runSystem(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; out: string }> {
  const PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.includes('node_modules'))
    .join(delimiter);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** `npm ci` on a fresh machine, as a new user runs it: with the system npm and Node, from the lockfile. */
describe('npm ci: a clean install is quiet', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recsys-npm-ci-'));
    for (const f of ['package.json', 'package-lock.json', '.npmrc'])
      await copyFile(join(ROOT, f), join(dir, f));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves every package from the lockfile without a warning (no EBADENGINE from an older system Node)', async () => {
    // Act: a dry run resolves and checks the whole tree (engines included) without downloading it.
    const system = await runSystem('node', ['--version'], dir);
    const run = await runSystem(
      'npm',
      ['ci', '--dry-run', '--ignore-scripts', '--offline', '--cache', join(dir, 'cache')],
      dir,
    );
    // Assess
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/^added \d+ packages/m);
    expect(run.out, `system Node ${system.out.trim()}`).not.toMatch(/warn|EBADENGINE/i);
  }, 120_000);
});
