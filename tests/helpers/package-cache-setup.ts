import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest globalSetup: a directory for this run's `sls package` outputs (tests/helpers/sls-package.ts
 * packagedStage), set in the environment before the test processes are forked, removed after the run.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'recsys-test-packages-'));
  process.env.RECSYS_TEST_PACKAGE_CACHE = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
