import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listLakeObjects, readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';

const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `r${from + i}`, json: JSON.stringify({ n: from + i }) }));

async function readAll(root: string): Promise<number[]> {
  const out: number[] = [];
  for await (const r of readLakeZone(root, 'raw/events')) out.push((r as { n: number }).n);
  return out.sort((a, b) => a - b);
}

describe('Adapter: local lake writer', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lake-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lands records as GZIP JSON lines under the partition of their arrival day, visible once the object closes', async () => {
    // Prepare
    const now = Date.parse('2026-02-03T10:00:00Z');
    const writer = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'test', now: () => now });
    // Act
    await writer.put(records(0, 3));
    const beforeClose = await listLakeObjects(root, 'raw/events');
    await writer.close();
    // Assess
    expect(beforeClose).toEqual([]);
    const keys = await listLakeObjects(root, 'raw/events');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      /^raw\/events\/year=2026\/month=02\/day=03\/test-1-2026-02-03-10-00-00-[0-9a-f-]{36}\.gz$/,
    );
    expect(await readAll(root)).toEqual([0, 1, 2]);
  });

  it('group-commits concurrent puts and keeps every record exactly once', async () => {
    const writer = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'test' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer.put(records(i * 50, 50))));
    await writer.close();
    expect(await readAll(root)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('rotates objects by size, by age and at the day boundary', async () => {
    let now = Date.parse('2026-02-03T23:59:00Z');
    const writer = createLakeWriter({
      root,
      zonePrefix: 'raw/events',
      streamName: 'test',
      maxObjectBytes: 200,
      maxObjectAgeMs: 30_000,
      now: () => now,
    });
    await writer.put(records(0, 30)); // > 200 bytes: closes at once
    await writer.put(records(30, 1));
    now += 31_000; // 23:59:31, past the age limit
    await writer.put(records(31, 1));
    now += 29_500; // 00:00:00.5 — young object, but a new day
    await writer.put(records(32, 1));
    await writer.close();
    const keys = await listLakeObjects(root, 'raw/events');
    expect(keys.map((k) => k.split('/').slice(0, 5).join('/'))).toEqual([
      'raw/events/year=2026/month=02/day=03',
      'raw/events/year=2026/month=02/day=03',
      'raw/events/year=2026/month=02/day=03',
      'raw/events/year=2026/month=02/day=04',
    ]);
    expect(await readAll(root)).toHaveLength(33);
  });

  it('recovers a crashed writer’s staged object, dropping only a torn unacknowledged tail', async () => {
    // Prepare: a writer that acknowledged two puts and then "died" (never closed).
    const writer = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'test' });
    await writer.put(records(0, 2));
    await writer.put(records(2, 2));
    const stagingDir = join(root, '.staging', 'test');
    const [staged] = await readdir(stagingDir);
    // A commit cut short by the crash: half a gzip member.
    await appendFile(join(stagingDir, staged!), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
    // Act
    const restarted = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'test' });
    const recovered = await restarted.recover();
    // Assess
    expect(recovered).toHaveLength(1);
    expect(await readAll(root)).toEqual([0, 1, 2, 3]);
    expect(await readdir(stagingDir)).toEqual([]);
  });

  it('rejects a record over Firehose’s 1,000 KiB limit and takes the rest', async () => {
    const writer = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'test' });
    const huge = { id: 'big', json: JSON.stringify({ n: -1, pad: 'x'.repeat(1_024_000) }) };
    const result = await writer.put([...records(0, 1), huge, ...records(1, 1)]);
    await writer.close();
    expect(result.failed).toEqual([expect.objectContaining({ index: 1, id: 'big', code: 'too_large' })]);
    expect(await readAll(root)).toEqual([0, 1]);
  });
});
