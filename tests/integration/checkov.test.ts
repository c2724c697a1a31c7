import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, loadJson } from '../helpers/cloudformation.ts';
import { leastPrivilegeFindings } from '../helpers/iam-rules.ts';
import { monitoringFindings } from '../helpers/monitoring-refs.ts';
import { PACKAGE_TIMEOUT_MS, packagedStage } from '../helpers/sls-package.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHECKOV = join(ROOT, '.venv-checkov', 'bin', 'checkov');
const run = promisify(execFile);

interface CheckovResult {
  check_id: string;
  resource: string;
  check_name: string;
  check_result: { result: string; suppress_comment?: string };
}
interface CheckovReport {
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
  results: { failed_checks: CheckovResult[]; skipped_checks: CheckovResult[] };
}

/** checkov over one CloudFormation file, offline (no platform download, no update check), read from its JSON. */
async function checkov(file: string): Promise<CheckovReport> {
  const { stdout } = await run(
    CHECKOV,
    [
      '-f',
      file,
      '--framework',
      'cloudformation',
      '--output',
      'json',
      '--compact',
      '--skip-download',
      '--soft-fail',
    ],
    {
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true', ANSI_COLORS_DISABLED: '1' },
    },
  );
  const parsed = JSON.parse(stdout) as CheckovReport | CheckovReport[];
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}

const line = (r: CheckovResult) => `${r.check_id} ${r.resource}: ${r.check_name}`;

function expectClean(report: CheckovReport) {
  expect(report.summary.parsing_errors).toBe(0);
  expect(report.summary.passed).toBeGreaterThan(50);
  expect(report.results.failed_checks.map(line)).toEqual([]);
  // A skip is a decision written down on the resource: each one says why.
  for (const skipped of report.results.skipped_checks)
    expect(skipped.check_result.suppress_comment ?? '', line(skipped)).toMatch(
      /^(?!No comment provided).{40,}/,
    );
}

// The run's one packaging per stage (shared with the lint and package suites) serves the checks below.
describe.each(['dev', 'prod'])('Infrastructure: the packaged %s template', (stage) => {
  let templatePath: string;
  let template: CfnTemplate;

  beforeAll(async () => {
    templatePath = join(await packagedStage(stage), 'cloudformation-template-update-stack.json');
    template = loadJson<CfnTemplate>(templatePath);
  }, PACKAGE_TIMEOUT_MS + 10_000);

  it('checkov finds no failed check, and every skip carries its reason', async () => {
    expectClean(await checkov(templatePath));
  }, 180_000);

  it('grants least privilege: no `*` action, no PassRole on `*`, `Resource: "*"` only where IAM has no resource', () => {
    expect(leastPrivilegeFindings(template)).toEqual([]);
  });

  it('alarms, notices and dashboard name only metrics and resources the template has or the functions emit', () => {
    expect(monitoringFindings(template, stage)).toEqual([]);
  });
});

describe('Infrastructure: resources/pipeline.yml', () => {
  it('checkov finds no failed check, and every skip carries its reason', async () => {
    expectClean(await checkov(join(ROOT, 'resources', 'pipeline.yml')));
  }, 180_000);
});
