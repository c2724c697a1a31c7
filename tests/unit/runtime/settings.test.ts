import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsServing, SERVING_SETTINGS } from '../../../shared/runtime/aws-serving.ts';
import { MissingSettingError, readSettings } from '../../../shared/runtime/config.ts';

const RECOMMENDATIONS_ENV = {
  RECSYS_LAKE_BUCKET: 'lake',
  RECSYS_DEPLOYMENT_TABLE: 'deployment',
  RECSYS_CATALOG_TABLE: 'catalog',
  RECSYS_ACTIVITY_TABLE: 'activity',
  RECSYS_FEEDBACK_TABLE: 'feedback',
  RECSYS_LISTS_TABLE: 'lists',
  RECSYS_COUNTERS_TABLE: 'counters',
  RECSYS_USERS_TABLE: 'users',
  RECSYS_LIVE_COUNTERS_TABLE: 'live-counters',
  RECSYS_IMPRESSIONS_STREAM: 'impressions',
  RECSYS_IMPRESSION_SAMPLE_RATE: '1',
};

describe('settings: read one way, at start', () => {
  it('names every missing variable at once, and treats an empty one as missing', () => {
    // Act
    const read = () => readSettings(['RECSYS_A', 'RECSYS_B', 'RECSYS_C'], { RECSYS_B: 'b', RECSYS_C: '' });
    // Assess
    expect(read).toThrow(MissingSettingError);
    expect(read).toThrow('environment variables RECSYS_A, RECSYS_C are required but not set');
  });

  it('returns the values by name when all are set', () => {
    expect(readSettings(['RECSYS_A', 'RECSYS_B'], { RECSYS_A: 'a', RECSYS_B: 'b', OTHER: 'x' })).toEqual({
      RECSYS_A: 'a',
      RECSYS_B: 'b',
    });
  });

  it('fails the composition of a serving function when one of its settings is missing', () => {
    const { RECSYS_DEPLOYMENT_TABLE: _dropped, ...env } = RECOMMENDATIONS_ENV;
    expect(() => awsServing('recommendations', env)).toThrow(
      'environment variable RECSYS_DEPLOYMENT_TABLE is required but not set',
    );
    expect(() => awsServing('experiments', { RECSYS_DEPLOYMENT_TABLE: 'd' })).toThrow(
      'environment variable RECSYS_COUNTERS_TABLE is required but not set',
    );
  });

  it('answers a call to a table the function is not given with the setting, without reaching AWS', async () => {
    // Prepare: the similar-items function is given the lake, the deployment, the catalog, the users (their
    // preferences) and the impressions only.
    const serving = awsServing('similarItems', {
      RECSYS_LAKE_BUCKET: 'lake',
      RECSYS_DEPLOYMENT_TABLE: 'deployment',
      RECSYS_CATALOG_TABLE: 'catalog',
      RECSYS_USERS_TABLE: 'users',
      RECSYS_IMPRESSIONS_STREAM: 'impressions',
      RECSYS_IMPRESSION_SAMPLE_RATE: '1',
    });
    // Act + Assess
    await expect(serving.experiments.feedback.exclusions('u:1')).rejects.toThrow(
      'exclusions needs RECSYS_FEEDBACK_TABLE, which this function is not given',
    );
    await expect(serving.feedback.ingest.store.recentActivity('u:1')).rejects.toThrow(
      'recentActivity needs RECSYS_ACTIVITY_TABLE',
    );
    await expect(serving.feedback.ingest.eventSink.put([])).rejects.toThrow('put needs RECSYS_EVENTS_STREAM');
  });
});

describe('Lambda entry points: a missing setting fails the cold start with its name', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    vi.resetModules();
    for (const name of Object.values(SERVING_SETTINGS).flat()) delete process.env[name];
    Object.assign(process.env, { AWS_REGION: 'us-east-1', POWERTOOLS_METRICS_DISABLED: 'true' });
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('get-recommendations: importing the handler without RECSYS_LISTS_TABLE throws, naming it', async () => {
    // Prepare
    const { RECSYS_LISTS_TABLE: _dropped, ...env } = RECOMMENDATIONS_ENV;
    Object.assign(process.env, env);
    // Act + Assess
    await expect(import('../../../functions/api/get-recommendations/handler.ts')).rejects.toThrow(
      'environment variable RECSYS_LISTS_TABLE is required but not set',
    );
  });

  it('get-recommendations: with every setting, the handler module loads', async () => {
    Object.assign(process.env, RECOMMENDATIONS_ENV);
    const mod = await import('../../../functions/api/get-recommendations/handler.ts');
    expect(typeof mod.handler).toBe('function');
  });

  it('post-feedback and get-item: each names what it lacks', async () => {
    Object.assign(process.env, { RECSYS_EVENTS_STREAM: 'events', RECSYS_ACTIVITY_TABLE: 'activity' });
    await expect(import('../../../functions/api/post-feedback/handler.ts')).rejects.toThrow(
      'environment variables RECSYS_FEEDBACK_TABLE, RECSYS_COUNTERS_TABLE, RECSYS_DEPLOYMENT_TABLE, RECSYS_LIVE_COUNTERS_TABLE are required but not set',
    );
    await expect(import('../../../functions/api/get-item/handler.ts')).rejects.toThrow(
      'environment variable RECSYS_CATALOG_TABLE is required but not set',
    );
  });
});
