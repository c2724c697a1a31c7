import { describe, expect, it } from 'vitest';
import { parseTime } from '../../local/import/csv.ts';

describe('Importer: parseTime', () => {
  it('returns epoch seconds, epoch milliseconds and ISO dates as milliseconds', () => {
    // Act
    const values = [
      parseTime('1260759144'),
      parseTime('1260759144000'),
      parseTime('2009-12-14T02:52:24Z'),
      parseTime('2009-12-14T03:52:24+01:00'),
    ];
    // Assess
    expect(values).toEqual([1260759144000, 1260759144000, 1260759144000, 1260759144000]);
  });

  it('returns zoneless dates as UTC', () => {
    // Act
    const values = [parseTime('2011-12-09 12:50:00'), parseTime('2011-12-09T12:50'), parseTime('2011-12-09')];
    // Assess
    expect(values).toEqual([
      Date.parse('2011-12-09T12:50:00Z'),
      Date.parse('2011-12-09T12:50:00Z'),
      Date.parse('2011-12-09T00:00:00Z'),
    ]);
  });

  it('returns undefined for text that is not a time', () => {
    // Act
    const values = [parseTime(''), parseTime('yesterday'), parseTime('12/31/2011 25:00')];
    // Assess
    expect(values).toEqual([undefined, undefined, undefined]);
  });
});
