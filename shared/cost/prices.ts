import { z } from 'zod';

/**
 * The price sheet a cost estimate is computed from (shared/cost/prices-eu-west-1.json is the one shipped). Every
 * price says what it is per and which AWS pricing page it comes from, so a reader can check it.
 */
const tier = z.object({ upTo: z.number().positive().nullable(), usd: z.number().nonnegative() }).strict();

const flatPrice = z
  .object({ usd: z.number().nonnegative(), unit: z.string().min(1), source: z.url() })
  .strict();

const tieredPrice = z
  .object({ tiers: z.array(tier).min(1), unit: z.string().min(1), source: z.url() })
  .strict()
  .refine((p) => p.tiers.at(-1)?.upTo === null, 'the last tier must have upTo: null (no upper bound)')
  .refine(
    (p) => p.tiers.every((t, i) => i === 0 || (t.upTo ?? Infinity) > (p.tiers[i - 1]?.upTo ?? Infinity)),
    'tiers must be in increasing order of upTo',
  );

type TieredPrice = z.infer<typeof tieredPrice>;

const FLAT_KEYS = [
  'dataTransferOutGb',
  'lambdaRequests',
  'lambdaArmGbSecond',
  'firehoseIngestGb',
  's3StandardGbMonth',
  's3StandardIaGbMonth',
  's3GlacierIrGbMonth',
  's3PutRequests',
  's3GetRequests',
  's3TransitionToIa',
  's3TransitionToGlacierIr',
  's3RetrievalIaGb',
  's3RetrievalGlacierIrGb',
  'dynamoDbWriteRequestUnits',
  'dynamoDbReadRequestUnits',
  'dynamoDbStorageGbMonth',
  'dynamoDbPitrGbMonth',
  'ebsGp3GbMonth',
  'stepFunctionsStateTransitions',
  'glueCrawlerDpuHour',
  'kmsKeyMonth',
  'cloudWatchLogsIngestGb',
  'cloudWatchLogsStorageGbMonth',
  'cloudWatchMetricMonth',
  'cloudWatchAlarmMonth',
  'cloudWatchDashboardMonth',
  'xrayTracesRecorded',
  'personalizeIngestGb',
  'personalizeTrainingHour',
] as const;

const TIERED_KEYS = [
  'apiGatewayRestRequests',
  'personalizeTpsHour',
  'personalizeBatchRecommendations',
] as const;

const instance = z
  .object({
    vcpu: z.number().int().positive(),
    memoryGiB: z.number().positive(),
    ec2PerHour: z.number().positive(),
    emrPerHour: z.number().nonnegative(),
  })
  .strict();

export type InstancePrice = z.infer<typeof instance>;

const priceSheet = z
  .object({
    region: z.string().min(1),
    regionName: z.string().min(1),
    currency: z.literal('USD'),
    pricesAsOf: z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'expected YYYY-MM or YYYY-MM-DD'),
    written: z.iso.date(),
    caveat: z.string().min(1),
    prices: z
      .object({
        ...Object.fromEntries(FLAT_KEYS.map((k) => [k, flatPrice])),
        ...Object.fromEntries(TIERED_KEYS.map((k) => [k, tieredPrice])),
      } as Record<(typeof FLAT_KEYS)[number], typeof flatPrice> &
        Record<(typeof TIERED_KEYS)[number], typeof tieredPrice>)
      .strict(),
    instances: z.record(z.string(), instance),
    instanceSources: z.array(z.url()).min(1),
  })
  .strict();

export type PriceSheet = z.infer<typeof priceSheet>;
export type Prices = PriceSheet['prices'];

export class PriceSheetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceSheetError';
  }
}

/** Validates a parsed price sheet; the error names each wrong field by its path. */
export function parsePriceSheet(value: unknown, source: string): PriceSheet {
  const result = priceSheet.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new PriceSheetError(`${source}: not a valid price sheet: ${problems.join('; ')}`);
}

/** Cost of `quantity` units billed in tiers (`upTo` in the same units as `quantity`, `usd` per `per` units). */
export function tieredCost(quantity: number, price: TieredPrice, per = 1): number {
  let usd = 0;
  let from = 0;
  for (const t of price.tiers) {
    const to = t.upTo ?? Infinity;
    if (quantity <= from) break;
    usd += ((Math.min(quantity, to) - from) / per) * t.usd;
    from = to;
  }
  return usd;
}
