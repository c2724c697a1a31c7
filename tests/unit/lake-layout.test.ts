import { describe, expect, it } from 'vitest';
import { objectKey, parseObjectKey, partitionPrefix } from '../../shared/adapters/local/lake-layout.ts';

describe('Lake layout', () => {
  it('partitions by UTC arrival date like the Firehose prefix year=/month=/day=', () => {
    expect(partitionPrefix('raw/events', new Date('2026-01-05T23:59:59-02:00'))).toBe(
      'raw/events/year=2026/month=01/day=06',
    );
  });

  it('names objects <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz and parses them back', () => {
    const id = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
    const key = objectKey('raw/events', 'recsys-local-events', new Date('2026-03-04T05:06:07Z'), id);
    expect(key).toBe(
      `raw/events/year=2026/month=03/day=04/recsys-local-events-1-2026-03-04-05-06-07-${id}.gz`,
    );
    expect(parseObjectKey(key)).toEqual({
      zone: 'raw/events',
      year: 2026,
      month: 3,
      day: 4,
      stream: 'recsys-local-events',
      id,
    });
    expect(parseObjectKey('raw/events/whatever.gz')).toBeUndefined();
  });
});
