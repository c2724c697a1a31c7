import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../local/cli/progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (t: string) => writes.push(t) } };
}

describe('CLI: progressReporter', () => {
  it('returns one redrawn line with bar, counts, rate and ETA on a terminal', () => {
    // Prepare
    let t = 0;
    const { writes, stream } = fakeStream(true);
    const progress = progressReporter('import', 'rows', { stream, now: () => t });
    // Act
    t = 1000;
    progress.update(250_000, 1_000_000);
    t = 2000;
    progress.done();
    // Assess
    expect(writes[0]).toBe(
      `\r\u001b[2Kimport [${'█'.repeat(6)}${'░'.repeat(18)}]  25% 250,000/1,000,000 rows · 250,000 rows/s ETA 3s`,
    );
    expect(writes[1]).toMatch(/import: 250,000\/1,000,000 rows in 2\.0 s \(125,000 rows\/s\)\n$/);
  });

  it('returns plain lines no more often than the interval when not a terminal', () => {
    // Prepare
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const progress = progressReporter('csv', 'bytes', { stream, now: () => t, plainIntervalMs: 5000 });
    // Act
    for (t = 0; t <= 12_000; t += 500) progress.update(t * 1048.576, 12 * 1048576);
    // Assess
    expect(writes).toEqual([
      'csv: 5.0/12.0 MiB  42%, 1.0 MiB/s ETA 7s\n',
      'csv: 10.0/12.0 MiB  83%, 1.0 MiB/s ETA 2s\n',
    ]);
  });
});
