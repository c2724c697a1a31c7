import { createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import { composeServing, type Serving, type ServingSettings } from '../../shared/runtime/serving.ts';
import { dataDirLayout } from '../data-dir.ts';
import type { LocalRuntime } from '../runtime.ts';

/**
 * Cache lifetimes of the local server; sqlite reads are cheap, so the deployment record and the live counters'
 * trend are read every second.
 */
export type LocalServingOptions = Partial<ServingSettings>;

/**
 * Serving on this machine: the same composition as on Lambda over the local adapters — artifacts from
 * `<data-dir>/models/<version>/`, lists and the deployment record from the sqlite PublicationStore, activity and
 * catalog from the sqlite ServingStore, feedback events into the local lake.
 */
export function localServing(runtime: LocalRuntime, options: LocalServingOptions = {}): Serving {
  return composeServing(
    {
      models: createLocalModelStore({ root: dataDirLayout(runtime.dataDir).models }),
      publications: runtime.publications,
      store: runtime.store,
      feedback: runtime.feedback,
      eventSink: runtime.eventSink,
      counters: runtime.counters,
      impressions: runtime.impressions,
      users: runtime.users,
    },
    {
      deploymentTtlMs: options.deploymentTtlMs ?? 1_000,
      catalogTtlMs: options.catalogTtlMs ?? 5_000,
      liveTrendRefreshMs: options.liveTrendRefreshMs ?? 1_000,
      // sqlite reads are cheap: live trending reads the counters on every request, so an event shows at once.
      trendingRefreshMs: options.trendingRefreshMs ?? 0,
    },
  );
}
