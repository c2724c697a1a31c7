import {
  type GateCandidateDeps,
  type GateOutcome,
  gateCandidate,
} from '../../../shared/registry/gate-candidate.ts';
import { asObject, requireString } from '../errors.ts';

/** The Evaluate task: the quality gate on the trained version (shared/registry/gate-candidate.ts). */
export function createEvaluateModel(deps: GateCandidateDeps) {
  return async (event: unknown): Promise<GateOutcome> => {
    const input = asObject(event);
    const text = (field: string, fallback: string) =>
      typeof input[field] === 'string' ? (input[field] as string) : fallback;
    return gateCandidate(deps, {
      version: requireString(input, 'modelVersion'),
      stage: text('stage', 'default'),
      executionName: text('executionName', ''),
      fingerprint: text('fingerprint', ''),
    });
  };
}
