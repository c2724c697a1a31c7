import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { lakeEvents, runCli, tempDir } from './import-fixtures.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  dir = await tempDir('recsys-ingest-cli-');
});

afterAll(async () => {
  await dir.remove();
});

const event = (n: number, extra: Record<string, unknown> = {}) => ({
  eventId: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
  type: 'view',
  userId: 'u1',
  itemId: `i${n}`,
  timestamp: '2024-05-01T12:00:00Z',
  ...extra,
});

describe('CLI: recsys ingest', () => {
  it('returns exit 0 and lands every event of a valid JSON lines file in the lake', async () => {
    // Prepare
    const file = join(dir.path, 'ok.jsonl');
    await writeFile(file, `${[1, 2, 3].map((n) => JSON.stringify(event(n))).join('\n')}\n`);
    const dataDir = join(dir.path, 'd1');
    // Act
    const run = await runCli(['ingest', file, '--data-dir', dataDir]);
    // Assess: node:sqlite's experimental warning (once per thread that opens the store) is not printed.
    expect(run.stderr).not.toMatch(/error/);
    expect(run.stderr).not.toContain('SQLite is an experimental feature');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/events ingested: 3 \(view 3\)/);
    expect((await lakeEvents(dataDirLayout(dataDir).lake)).map((e) => e.itemId).sort()).toEqual([
      'i1',
      'i2',
      'i3',
    ]);
  });

  it('returns exit 2 listing bad lines by number and field, and still ingests the valid lines', async () => {
    // Prepare
    const file = join(dir.path, 'mixed.jsonl');
    const lines = [
      JSON.stringify(event(1)),
      JSON.stringify(event(2, { timestamp: 'yesterday' })),
      '{"eventId": oops',
      '',
      JSON.stringify(event(5, { type: 'rating', value: 9 })),
      JSON.stringify(event(6)),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const dataDir = join(dir.path, 'd2');
    // Act
    const run = await runCli(['ingest', file, '--data-dir', dataDir]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/line 2: timestamp: must be an ISO 8601 date-time/);
    expect(run.stdout).toMatch(/line 3: \(line\): not valid JSON/);
    expect(run.stdout).toMatch(/line 5: value: a rating must be between 1 and 5/);
    expect(run.stderr).toMatch(/3 of 5 lines .* were rejected .*the 2 valid events were ingested/);
    expect((await lakeEvents(dataDirLayout(dataDir).lake)).map((e) => e.itemId).sort()).toEqual(['i1', 'i6']);
  });

  it('--max-rejected: within the share → exit 0 with a warning; past it → exit 2 naming the limit', async () => {
    // Prepare: 2 of 4 lines are bad (50%).
    const file = join(dir.path, 'half.jsonl');
    const lines = [
      JSON.stringify(event(1)),
      JSON.stringify(event(2, { timestamp: 'yesterday' })),
      JSON.stringify(event(3, { type: 'rating', value: 9 })),
      JSON.stringify(event(4)),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    // Act
    const within = await runCli([
      'ingest',
      file,
      '--data-dir',
      join(dir.path, 'd5'),
      '--max-rejected',
      '0.5',
    ]);
    const past = await runCli(['ingest', file, '--data-dir', join(dir.path, 'd6'), '--max-rejected', '0.4']);
    const invalid = await runCli(['ingest', file, '--data-dir', join(dir.path, 'd7'), '--max-rejected', '2']);
    // Assess
    expect(within.code).toBe(0);
    expect(within.stderr).toContain('warning: 2 of 4 lines (50.00%) were rejected and skipped');
    expect((await lakeEvents(dataDirLayout(join(dir.path, 'd5')).lake)).map((e) => e.itemId).sort()).toEqual([
      'i1',
      'i4',
    ]);
    expect(past.code).toBe(2);
    expect(past.stderr).toContain(
      'error: 2 of 4 lines (50.00%) were rejected and skipped, more than --max-rejected 0.4; the 2 valid events were ingested',
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("option '--max-rejected <ratio>' argument '2' is invalid");
  });

  it('returns the events of a CSV with dotted nested columns, and exit 2 naming the line without a shopper', async () => {
    // Prepare
    const file = join(dir.path, 'events.csv');
    await writeFile(
      file,
      [
        'eventId,type,userId,itemId,timestamp,value,context.page,properties.color',
        `${event(1).eventId},purchase,u1,i1,2024-05-01T12:00:00Z,2,product,red`,
        `${event(2).eventId},view,,i2,2024-05-01T12:00:00Z,,,`,
      ].join('\n'),
    );
    const dataDir = join(dir.path, 'd3');
    // Act
    const run = await runCli(['ingest', file, '--data-dir', dataDir]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/line 3: userId: userId or sessionId is required/);
    expect(await lakeEvents(dataDirLayout(dataDir).lake)).toEqual([
      expect.objectContaining({
        type: 'purchase',
        value: 2,
        context: { page: 'product' },
        properties: { color: 'red' },
      }),
    ]);
  });

  it('still prints every other warning: only the SQLite one is silenced', async () => {
    // Prepare: a preload that warns at start-up, as a deprecated API or a leaking listener would.
    const file = join(dir.path, 'one.jsonl');
    await writeFile(file, `${JSON.stringify(event(1))}\n`);
    const preload = join(dir.path, 'warn.cjs');
    await writeFile(preload, "process.emitWarning('a warning of our own', 'ExperimentalWarning');\n");
    // Act
    const run = await runCli(['ingest', file, '--data-dir', join(dir.path, 'd8')], {
      NODE_OPTIONS: `--require ${preload}`,
    });
    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('ExperimentalWarning: a warning of our own');
    expect(run.stderr).not.toContain('SQLite is an experimental feature');
  });

  it('returns exit 1 naming the file when it does not exist', async () => {
    // Prepare
    const missing = join(dir.path, 'missing.jsonl');
    // Act
    const run = await runCli(['ingest', missing, '--data-dir', join(dir.path, 'd4')]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${missing}: cannot read the file`);
  });
});
