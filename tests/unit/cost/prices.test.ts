import { describe, expect, it } from 'vitest';
import { PriceSheetError, parsePriceSheet, tieredCost } from '../../../shared/cost/prices.ts';
import { CADENCES, runsPerMonth, WorkloadError } from '../../../shared/cost/workload.ts';
import { P, SHEET } from './worked-example.ts';

describe('Cost: the price sheet', () => {
  it('names its region, currency, date and caveat, and a pricing page for every price', () => {
    expect(SHEET).toMatchObject({ region: 'eu-west-1', currency: 'USD', pricesAsOf: '2025-01' });
    expect(SHEET.caveat).toMatch(/verify before relying on it/i);
    for (const [key, price] of Object.entries(SHEET.prices))
      expect(price.source, key).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z0-9-]+\/pricing\//);
  });

  it('refuses a sheet with a missing price, a bad source and tiers out of order, naming each path', () => {
    // Prepare
    const broken = structuredClone(SHEET) as unknown as {
      prices: Record<string, { source?: string; tiers?: { upTo: number | null; usd: number }[] }>;
    };
    delete broken.prices.lambdaRequests;
    broken.prices.firehoseIngestGb!.source = 'somewhere';
    broken.prices.personalizeTpsHour!.tiers = [
      { upTo: 200_000, usd: 0.1 },
      { upTo: 20_000, usd: 0.2 },
      { upTo: null, usd: 0.05 },
    ];
    // Act
    const act = () => parsePriceSheet(broken, 'broken.json');
    // Assess
    expect(act).toThrow(PriceSheetError);
    expect(act).toThrow(/^broken\.json: not a valid price sheet: /);
    expect(act).toThrow(/prices\.lambdaRequests: /);
    expect(act).toThrow(/prices\.firehoseIngestGb\.source: /);
    expect(act).toThrow(/prices\.personalizeTpsHour: tiers must be in increasing order of upTo/);
  });
});

describe('Cost: tiered prices', () => {
  it('bills each tier its own rate: 400M REST requests', () => {
    // 333M × $3.50/M = $1,165.50; the next 67M × $3.19/M = $213.73; total $1,379.23
    expect(tieredCost(400e6, P.apiGatewayRestRequests, 1e6)).toBeCloseTo(1379.23, 2);
  });

  it('bills each tier its own rate: 250,000 Personalize TPS-hours', () => {
    // 20,000 × $0.20 = $4,000; 180,000 × $0.10 = $18,000; 50,000 × $0.05 = $2,500; total $24,500
    expect(tieredCost(250_000, P.personalizeTpsHour)).toBeCloseTo(24_500, 6);
    // Within the first tier: 14,600 × $0.20 = $2,920
    expect(tieredCost(14_600, P.personalizeTpsHour)).toBeCloseTo(2920, 6);
    expect(tieredCost(0, P.personalizeTpsHour)).toBe(0);
  });
});

describe('Cost: retrain cadence', () => {
  it('turns a cadence into runs a month of 730 hours', () => {
    // daily 730 / 24 = 30.4167; weekly 730 / 168 = 4.3452; hourly 730
    expect(runsPerMonth('daily')).toBeCloseTo(30.4167, 4);
    expect(runsPerMonth('weekly')).toBeCloseTo(4.3452, 4);
    expect(runsPerMonth('hourly')).toBe(730);
    expect(runsPerMonth('12')).toBe(12);
    expect(runsPerMonth('0')).toBe(0);
    expect(Object.keys(CADENCES)).toEqual(['hourly', 'daily', 'weekly']);
  });

  it('refuses anything else, saying what it expects', () => {
    for (const bad of ['often', '-1', '', 'Infinity', 'toString'])
      expect(() => runsPerMonth(bad), bad).toThrow(WorkloadError);
    expect(() => runsPerMonth('often')).toThrow(
      '"often": expected hourly, daily, weekly or a number of runs a month (≥ 0)',
    );
  });
});
