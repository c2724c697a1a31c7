import { createFileModelRegistry } from '../shared/adapters/local/file-model-registry.ts';
import type { ModelRegistry } from '../shared/ports/model-registry.ts';
import { dataDirLayout } from './data-dir.ts';

export const LOCAL_STAGE = 'local';
export const SERVICE = 'recsys';

/**
 * The stage's model package group in the data directory's file registry: `<service>-<stage>`, as on AWS. Kept
 * apart from the retrain pipeline so that commands that only read the registry do not load the state machine.
 */
export function localRegistry(dataDir: string, stage = LOCAL_STAGE): ModelRegistry {
  return createFileModelRegistry({ root: dataDirLayout(dataDir).registry, groupName: `${SERVICE}-${stage}` });
}
