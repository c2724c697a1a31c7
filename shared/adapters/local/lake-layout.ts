import { randomUUID } from 'node:crypto';

/**
 * The object keys Firehose writes with our delivery-stream prefix
 * `raw/<stream>/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/` (arrival time, UTC) and its
 * file naming `<DeliveryStreamName>-<DeliveryStreamVersion>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`. The local lake
 * reproduces it so that the crawler, the trainers and Athena read both lakes with the same code.
 */
export function partitionPrefix(zonePrefix: string, at: Date): string {
  const y = at.getUTCFullYear().toString().padStart(4, '0');
  const m = (at.getUTCMonth() + 1).toString().padStart(2, '0');
  const d = at.getUTCDate().toString().padStart(2, '0');
  return `${zonePrefix}/year=${y}/month=${m}/day=${d}`;
}

function objectName(streamName: string, at: Date, id: string = randomUUID()): string {
  const p = (n: number) => n.toString().padStart(2, '0');
  const stamp = `${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}-${p(at.getUTCHours())}-${p(at.getUTCMinutes())}-${p(at.getUTCSeconds())}`;
  return `${streamName}-1-${stamp}-${id}.gz`;
}

export function objectKey(zonePrefix: string, streamName: string, at: Date, id?: string): string {
  return `${partitionPrefix(zonePrefix, at)}/${objectName(streamName, at, id)}`;
}

const KEY_PATTERN =
  /^(?<zone>.+)\/year=(?<year>\d{4})\/month=(?<month>\d{2})\/day=(?<day>\d{2})\/(?<stream>.+)-1-(?<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-(?<id>[0-9a-f-]{36})\.gz$/;

export interface ParsedKey {
  zone: string;
  year: number;
  month: number;
  day: number;
  stream: string;
  id: string;
}

export function parseObjectKey(key: string): ParsedKey | undefined {
  const g = KEY_PATTERN.exec(key)?.groups;
  if (g === undefined) return undefined;
  return {
    zone: g.zone!,
    year: Number(g.year),
    month: Number(g.month),
    day: Number(g.day),
    stream: g.stream!,
    id: g.id!,
  };
}
