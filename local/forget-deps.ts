import { createLocalModelStore } from '../shared/adapters/local/model-store.ts';
import type { ForgetDeps } from '../shared/users/forget.ts';
import { dataDirLayout } from './data-dir.ts';
import type { LocalRuntime } from './runtime.ts';

/** What forgetting a shopper erases on this machine: the runtime's stores, every stored version's lists, the lake. */
export function localForgetDeps(runtime: LocalRuntime): ForgetDeps {
  const models = createLocalModelStore({ root: dataDirLayout(runtime.dataDir).models });
  return {
    users: runtime.users,
    store: runtime.store,
    feedback: runtime.feedback,
    publications: runtime.publications,
    versions: () => models.list(),
    userSink: runtime.userSink,
  };
}
