import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../local/pipeline/local-services.ts';
import { runRetrainLocally } from '../../local/pipeline/retrain.ts';
import { listLakeObjects } from '../../shared/adapters/local/lake-reader.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import type { ArtifactManifest } from '../../shared/model/artifact.ts';
import { plantedRecords, tempDir } from '../fixtures/training-data.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

async function writeLake(dataDir: string): Promise<number> {
  const root = join(dataDir, 'lake');
  const events = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'recsys-local-events' });
  await events.put(
    plantedRecords(80).map((r, n) => ({
      id: uuid(n + 1),
      json: JSON.stringify({
        eventId: uuid(n + 1),
        type: r.type,
        userId: r.userId,
        itemId: r.itemId,
        value: 1,
        timestamp: new Date(r.timestamp).toISOString(),
      }),
    })),
  );
  await events.close();
  let bytes = 0;
  for (const key of await listLakeObjects(root, 'raw/events')) bytes += (await stat(join(root, key))).size;
  return bytes;
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let dataDir: string;
let lakeBytes: number;
beforeEach(async () => {
  dir = await tempDir('recsys-route-');
  dataDir = join(dir.path, 'data');
  lakeBytes = await writeLake(dataDir);
});
afterEach(async () => {
  await dir.remove();
});

/** The instance groups of the run's cluster (<data-dir>/clusters.json), by role. */
async function clusterShape(runName: string) {
  const all = JSON.parse(await readFile(join(dataDir, 'clusters.json'), 'utf8')) as LocalCluster[];
  return all.find((c) => c.tags['recsys:execution']?.includes(runName))?.instanceGroups;
}

const trainStates = (run: { states: { name: string }[] }) =>
  run.states.map((s) => s.name).filter((n) => n === 'TrainOnPrimary' || n === 'TrainStep');

async function manifest(version: string): Promise<ArtifactManifest> {
  return JSON.parse(await readFile(join(dataDir, 'models', version, 'manifest.json'), 'utf8'));
}

describe('State machine: ChooseTrainer in statemachines/retrain.asl.yml', () => {
  it('routes a lake of at most singleNodeTrainingMaxBytes to TrainOnPrimary, with the model choice passed on', async () => {
    // Act
    const run = await runRetrainLocally({
      dataDir,
      model: 'ease',
      budgetSeconds: 2,
      singleNodeMaxBytes: lakeBytes,
    });

    // Assess
    expect(run.error).toBeUndefined();
    expect(run.output).toMatchObject({ model: { lakeBytes, objects: 1, modelChoice: 'ease' } });
    expect(trainStates(run)).toEqual(['TrainOnPrimary']);
    // No core node idles while the primary trains.
    expect(await clusterShape(run.name)).toEqual([{ role: 'MASTER', count: 1 }]);
    expect((await manifest(run.modelVersion as string)).model.kind).toBe('ease');
  }, 120_000);

  it('routes a lake one byte over the threshold to the Spark TrainStep', async () => {
    const run = await runRetrainLocally({
      dataDir,
      model: 'als',
      budgetSeconds: 2,
      singleNodeMaxBytes: lakeBytes - 1,
    });

    expect(run.error).toBeUndefined();
    expect(trainStates(run)).toEqual(['TrainStep']);
    expect(await clusterShape(run.name)).toEqual([
      { role: 'MASTER', count: 1 },
      { role: 'CORE', count: 1 },
    ]);
    expect(run.output).toMatchObject({ model: { lakeBytes, modelChoice: 'als' } });
    expect((await manifest(run.modelVersion as string)).model.kind).toBe('ials');
  }, 120_000);
});
