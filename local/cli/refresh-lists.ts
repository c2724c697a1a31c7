import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import { listsDueForRefresh, refreshReason } from '../../shared/registry/list-expiry.ts';
import { dataDirLayout } from '../data-dir.ts';
import { type RunRecord, runRetrainLocally } from '../pipeline/retrain.ts';

/**
 * What the schedule's startRetrain does on AWS, here: serving versions whose lists expire within days are
 * republished through the state machine's publish path (a publication whose reason marks it a refresh changes
 * nothing else). `recsys retrain` runs it after each retrain, `npm start` before serving.
 */
export async function refreshLocalLists(
  dataDir: string,
  stage: string | undefined,
  print: (run: RunRecord) => void,
): Promise<RunRecord[]> {
  const store = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
  const due = await listsDueForRefresh(store, new Date()).finally(() => store.close());
  const runs: RunRecord[] = [];
  for (const d of due) {
    console.log(
      `the lists of ${d.modelVersion} expire at ${new Date(d.expiresAt * 1000).toISOString()}: republishing`,
    );
    const run = await runRetrainLocally({
      dataDir,
      ...(stage !== undefined ? { stage } : {}),
      publish: { version: d.modelVersion, reason: refreshReason(d.modelVersion, d.expiresAt) },
    });
    print(run);
    runs.push(run);
  }
  return runs;
}
