import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbFeedbackStore } from '../../shared/adapters/aws/dynamodb-feedback-store.ts';
import { s3LakeZone } from '../../shared/adapters/aws/s3-lake-reader.ts';
import { readShoppers } from '../../shared/training/shoppers-input.ts';
import { type StandInOperator, standInOperator } from '../helpers/cloud/operator.ts';
import { deployStandInStage, type StandInStage } from '../helpers/cloud/stack.ts';

/**
 * Issue 16's shopper routes on the packaged Lambdas of a stand-in stage (tests/helpers/cloud): profiles and
 * preferences in the users table and the lake, and DELETE /v1/users/{userId} clearing the DynamoDB items and
 * writing the tombstone where the trainer reads it. No retrain here (tests/e2e/shoppers-retrain.test.ts has one).
 */
const API_KEY = 'standin-key';
let stage: StandInStage;
let op: StandInOperator;

beforeAll(async () => {
  stage = await deployStandInStage('ci');
  op = standInOperator(stage, API_KEY);
}, 600_000);
afterAll(async () => {
  op?.close();
  await stage?.stop();
});

const api = (method: string, path: string, body?: unknown) =>
  stage.api.request(method, path, { apiKey: API_KEY, ...(body !== undefined ? { body } : {}) });

describe('Cloud path: shoppers on the stand-in stage', () => {
  it('returns profiles and preferences from the users table and lands the profiles in raw/users/ via Firehose', async () => {
    // Act
    const put = await api('PUT', '/v1/users', {
      users: [
        { userId: 'c1', country: 'United Kingdom', ageBand: '35-44', updatedAt: '2026-03-01T00:00:00Z' },
      ],
    });
    const bad = await api('PUT', '/v1/users', { users: [{ userId: 'c2', attributes: { x: [1] } }] });
    const prefs = await api('PUT', '/v1/users/c1/preferences', { priceRange: { min: 1, max: 30 } });
    const inverted = await api('PUT', '/v1/users/c1/preferences', { priceRange: { min: 31, max: 30 } });
    const got = await api('GET', '/v1/users/c1');
    const delivered = await stage.firehose.flush();

    // Assess
    expect(put).toMatchObject({ statusCode: 200, body: { upserted: 1, rejected: [] } });
    expect(bad.statusCode).toBe(400);
    expect((bad.body as { error: { details: unknown } }).error.details).toEqual([
      {
        path: 'users[0].attributes.x',
        message: 'must be a string (1–500 characters), a finite number or a boolean',
      },
    ]);
    expect(prefs).toMatchObject({ statusCode: 200, body: { userId: 'c1', created: false } });
    expect(inverted.statusCode).toBe(400);
    expect(got).toMatchObject({
      statusCode: 200,
      body: {
        userId: 'c1',
        profile: {
          userId: 'c1',
          country: 'United Kingdom',
          ageBand: '35-44',
          updatedAt: '2026-03-01T00:00:00Z',
        },
        preferences: { priceRange: { min: 1, max: 30 } },
      },
    });
    expect(
      delivered.some((k) =>
        /^raw\/users\/year=\d{4}\/month=\d{2}\/day=\d{2}\/recsys-ci-users-.*\.gz$/.test(k),
      ),
    ).toBe(true);
    expect(await op.lakeLines('raw/users/')).toEqual([
      { userId: 'c1', country: 'United Kingdom', ageBand: '35-44', updatedAt: '2026-03-01T00:00:00Z' },
    ]);
  });

  it('returns a forgotten shopper gone from every table at once, with the tombstone where the trainer reads it', async () => {
    // Prepare: activity (through the ingest Lambda), an exclusion and a published list of a serving version.
    const event = {
      eventId: '00000000-0000-4000-8000-000000000001',
      type: 'view',
      userId: 'c1',
      itemId: 'i1',
      timestamp: new Date().toISOString(),
    };
    expect((await api('POST', '/v1/events', { events: [event] })).statusCode).toBe(202);
    const feedback = createDynamoDbFeedbackStore({
      client: stage.dynamo.client,
      feedbackTable: stage.name('FeedbackTable'),
      countersTable: stage.name('ExperimentCountersTable'),
    });
    await feedback.addExclusion('u:c1', 'i2', 'not_interested', 3600);
    const version = '20260301T000000Z-0000c1c1';
    await op.publications.putRecommendations(
      version,
      [
        { userId: 'c1', items: [['i3', 1]] },
        { userId: 'other', items: [['i4', 1]] },
      ],
      Math.floor(Date.now() / 1000) + 3600,
    );
    await op.publications.putDeployment(
      { revision: 1, champion: version, updatedAt: new Date().toISOString(), reason: 'test' },
      undefined,
    );
    const rows = async (table: string, key: string, value: string) =>
      (
        await stage.dynamo.client.send(
          new QueryCommand({
            TableName: stage.name(table),
            KeyConditionExpression: '#k = :v',
            ExpressionAttributeNames: { '#k': key },
            ExpressionAttributeValues: { ':v': value },
          }),
        )
      ).Items ?? [];
    expect(await rows('ActivityTable', 'shopperKey', 'u:c1')).toHaveLength(1);

    // Act
    const deleted = await api('DELETE', '/v1/users/c1');
    await stage.firehose.flush();

    // Assess
    expect(deleted).toMatchObject({ statusCode: 200, body: { userId: 'c1', hadProfile: true, versions: 1 } });
    const { forgottenAt } = deleted.body as { forgottenAt: string };
    expect(await rows('UsersTable', 'userId', 'c1')).toEqual([
      { userId: 'c1', sk: 'tombstone', forgottenAt },
    ]);
    expect(await rows('ActivityTable', 'shopperKey', 'u:c1')).toEqual([]);
    expect(await rows('FeedbackTable', 'pk', 'x#u:c1')).toEqual([]);
    expect(await op.publications.getRecommendations(version, 'c1')).toBeUndefined();
    expect(await op.publications.getRecommendations(version, 'other')).toEqual([['i4', 1]]);
    expect((await api('GET', '/v1/users/c1')).statusCode).toBe(404);
    // The trainer's own reading of the users zone (jobs/trainer: s3LakeZone → readShoppers) sees the tombstone.
    const zone = s3LakeZone({ client: op.s3, uri: `s3://${stage.name('LakeBucket')}/raw/users/` });
    const shoppers = await readShoppers(zone);
    expect(shoppers.tombstones.get('c1')).toBe(Date.parse(forgottenAt));
    expect(shoppers.profiles.has('c1')).toBe(false);
  });
});
