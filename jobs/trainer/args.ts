import { parseArgs } from 'node:util';
import { parseS3Uri } from '../../shared/adapters/aws/s3-lake-reader.ts';
import { MODEL_CHOICES, type ModelChoice } from '../../shared/model/model-choice.ts';

/** A command line the trainer cannot run: the message names the argument; the process exits 2. */
export class TrainerArgsError extends Error {
  override name = 'TrainerArgsError';
}

export interface TrainerArgs {
  events: string;
  items?: string;
  out: string;
  version: string;
  model: ModelChoice;
  config?: string;
  region?: string;
  budgetSeconds?: number;
}

export const USAGE = `usage: node trainer.mjs --events s3://<lake>/raw/events/ [--items s3://<lake>/raw/items/]
  --out s3://<lake>/models/<version>/ --version <version> [--model ${MODEL_CHOICES.join('|')}]
  [--config s3://<lake>/code/…/event-weights.json] [--region <aws region>] [--budget-seconds <s>]`;

const VERSION = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/**
 * The Spark job's arguments (jobs/emr/train_als.py), so the state machine's two training steps differ only
 * in the program they run. Spark's tuning flags (--rank, --partitions …) are not the TypeScript trainer's:
 * they are refused rather than ignored.
 */
export function parseTrainerArgs(argv: readonly string[]): TrainerArgs {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        events: { type: 'string' },
        items: { type: 'string' },
        out: { type: 'string' },
        version: { type: 'string' },
        model: { type: 'string' },
        config: { type: 'string' },
        region: { type: 'string' },
        'budget-seconds': { type: 'string' },
      },
    }) as { values: Record<string, string | undefined> });
  } catch (error) {
    throw new TrainerArgsError((error as Error).message);
  }
  const required = (name: string): string => {
    const v = values[name];
    if (v === undefined || v === '') throw new TrainerArgsError(`--${name} is required`);
    return v;
  };
  const s3 = (name: string, v: string) => {
    try {
      parseS3Uri(v);
    } catch (error) {
      throw new TrainerArgsError(`--${name}: ${(error as Error).message}`);
    }
    return v;
  };
  const events = s3('events', required('events'));
  const out = s3('out', required('out'));
  const version = required('version');
  if (!VERSION.test(version))
    throw new TrainerArgsError(`--version ${version} is not a model version (YYYYMMDDTHHMMSSZ-xxxxxxxx)`);
  const model = values.model ?? 'auto';
  if (!(MODEL_CHOICES as readonly string[]).includes(model))
    throw new TrainerArgsError(`--model ${model} is not one of ${MODEL_CHOICES.join(', ')}`);
  const budget = values['budget-seconds'];
  const budgetSeconds = budget === undefined ? undefined : Number(budget);
  if (budgetSeconds !== undefined && !(Number.isFinite(budgetSeconds) && budgetSeconds > 0))
    throw new TrainerArgsError(`--budget-seconds ${budget} is not a positive number of seconds`);
  return {
    events,
    ...(values.items !== undefined ? { items: s3('items', values.items) } : {}),
    out,
    version,
    model: model as ModelChoice,
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(budgetSeconds !== undefined ? { budgetSeconds } : {}),
  };
}
