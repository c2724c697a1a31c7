import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_TIMEOUT_MS, packagedStage } from '../helpers/sls-package.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CFN_LINT = join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
const run = promisify(execFile);

interface LintMatch {
  Rule: { Id: string };
  Message: string;
  Level: 'Error' | 'Warning' | 'Informational';
  Location: { Path: (string | number)[] };
}

/** cfn-lint's findings on a template; its exit code is a bit set of the levels found, so it is read from JSON. */
async function cfnLint(template: string): Promise<LintMatch[]> {
  try {
    const { stdout } = await run(CFN_LINT, ['--format', 'json', template], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout || '[]') as LintMatch[];
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (typeof stdout === 'string' && stdout.trim().startsWith('[')) return JSON.parse(stdout) as LintMatch[];
    throw error;
  }
}

const describeLine = (m: LintMatch) => `${m.Rule.Id} ${m.Location.Path.join('/')}: ${m.Message}`;

// What `sls deploy --stage dev|prod` would upload: a template CloudFormation refuses (an attribute a resource does not
// have, a property of the wrong type) fails the first deployment of every shop, so each stage's package is linted.
describe.each(['dev', 'prod'])('Infrastructure: cfn-lint on the packaged %s template', (stage) => {
  it(
    'returns no errors',
    async () => {
      // Prepare
      const outDir = await packagedStage(stage);

      // Act
      const findings = await cfnLint(join(outDir, 'cloudformation-template-update-stack.json'));

      // Assess
      const errors = findings.filter((m) => m.Level === 'Error').map(describeLine);
      expect(errors).toEqual([]);
    },
    PACKAGE_TIMEOUT_MS + 60_000,
  );
});
