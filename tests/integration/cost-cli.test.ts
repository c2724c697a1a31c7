import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writeText } from '../fixtures/training-data.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('recsys-cost-cli-');
});
afterAll(async () => {
  await dir.remove();
});

/** The dollar figure at the end of the report line that starts with `label`. */
function figure(stdout: string, label: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(label));
  return line?.match(/\$[\d,]+\.\d\d/)?.[0];
}

describe('CLI: recsys cost', () => {
  it("prints the worked example per component with prod's sizes from serverless.yml, Personalize, the ratio and the idle month", async () => {
    // Act: the defaults are issue 13's worked example on the prod stage
    const run = await runCli(['cost']);
    // Assess (the arithmetic is in tests/unit/cost/*.test.ts)
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain(
      'Monthly cost, stage prod, eu-west-1 (prices as of 2025-01; verify before relying on them)',
    );
    expect(out).toContain('engine emr (r6g.2xlarge, 1 primary + 4 core), 90 days of history');
    expect(figure(out, 'API Gateway')).toBe('$297.03');
    expect(figure(out, 'Lambda')).toBe('$68.10');
    expect(figure(out, '  API duration at 1024 MB')).toBe('$51.26');
    expect(figure(out, 'Kinesis Data Firehose')).toBe('$4.50');
    expect(figure(out, 'S3')).toBe('$1.75');
    expect(figure(out, 'DynamoDB (on-demand)')).toBe('$98.08');
    expect(figure(out, 'EMR training')).toBe('$40.79');
    expect(out).toContain('· 29 min a run: 90,000,000 events on 32 vCPUs');
    expect(figure(out, 'Glue crawler')).toBe('$4.46');
    expect(figure(out, 'Step Functions')).toBe('$0.05');
    expect(figure(out, 'CloudWatch')).toBe('$97.65');
    expect(figure(out, 'X-Ray')).toBe('$33.23');
    expect(figure(out, 'KMS')).toBe('$1.00');
    expect(figure(out, 'TOTAL')).toBe('$646.64');
    expect(figure(out, 'Amazon Personalize (real-time campaign)')).toBe('$3,248.85');
    expect(figure(out, '  campaign, 20 TPS provisioned or used')).toBe('$2,920.00');
    expect(out).toContain(
      "ratio ours / Personalize: 0.199 (1/5.0); without Personalize's training: 0.221 (1/4.5)",
    );
    expect(out).toContain(
      'Idle month (no events, no requests, history kept): $24.90; Personalize idle: $146.00 (campaign at its minimum TPS)',
    );
  });

  it('answers JSON for another workload, sized by the dev stage', async () => {
    const run = await runCli([
      'cost',
      '--stage',
      'dev',
      '--events-per-day',
      '50000',
      '--requests-per-second',
      '2',
      '--retrain',
      'weekly',
      '--engine',
      'single-machine',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const e = JSON.parse(run.stdout);
    expect(e.stage).toMatchObject({
      stage: 'dev',
      lambdaMemoryMb: 512,
      instanceType: 'm6g.xlarge',
      firehoseBufferMiB: 1,
    });
    expect(e.workload).toMatchObject({
      eventsPerDay: 50_000,
      requestsPerSecond: 2,
      engine: 'single-machine',
    });
    expect(e.workload.runsPerMonth).toBeCloseTo(730 / 168, 9);
    // one m6g.xlarge: 300 s + 4,500,000 events / (5,000 × 4 vCPUs) = 525 s a run
    expect(e.trainingRun).toMatchObject({ instances: 1, trainingVcpus: 4, seconds: 525 });
    // 2 TPS × 730 h × $0.20 = $292
    expect(e.personalize.items[2].usd).toBeCloseTo(292, 6);
    expect(e.assumptions.eventBytes).toBe(250);
  });

  it('sizes a stage without params of its own by params.default, and says so', async () => {
    const run = await runCli(['cost', '--stage', 'eu-shop', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^note: .*serverless\.yml has no params\.eu-shop: the stage is sized by params\.default/,
    );
    expect(JSON.parse(run.stdout).stage).toMatchObject({
      stage: 'eu-shop',
      lambdaMemoryMb: 512,
      coreCount: 2,
    });
  });

  it('returns exit 1 with the option or file at fault', async () => {
    const badParams = await writeText(
      join(dir.path, 'serverless.yml'),
      'params:\n  default:\n    lambdaMemoryMb: big\n',
    );
    const badPrices = await writeText(join(dir.path, 'prices.json'), '{"region": "eu-west-1"}');
    const runs = await Promise.all([
      runCli(['cost', '--retrain', 'often']),
      runCli(['cost', '--events-per-day', 'many']),
      runCli(['cost', '--instance-type', 'x9.large']),
      runCli(['cost', '--config', badParams]),
      runCli(['cost', '--prices', badPrices]),
      runCli(['cost', '--events-per-request', '501']),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const [cadence, events, instance, config, prices, batch] = runs.map((r) => r.stderr);
    expect(cadence).toContain(
      'error: --retrain "often": expected hourly, daily, weekly or a number of runs a month (≥ 0)',
    );
    expect(events).toContain(
      "error: option '--events-per-day <n>' argument 'many' is invalid. expected a number ≥ 0",
    );
    expect(instance).toContain(
      'error: instance type x9.large has no price in the price sheet; priced: m5.xlarge',
    );
    expect(config).toContain(
      `error: ${badParams}: params.prod.lambdaMemoryMb (or params.default.lambdaMemoryMb) must be a number, got "big"`,
    );
    expect(prices).toMatch(
      new RegExp(`error: ${badPrices}: not a valid price sheet: regionName: .*prices: `),
    );
    expect(batch).toContain(
      "error: eventsPerRequest must be an integer 1–500 (the API's batch limit), got 501",
    );
  });
});
