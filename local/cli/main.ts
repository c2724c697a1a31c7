import { Command, CommanderError } from 'commander';
import { CliError } from './errors.ts';
import { VERSION } from './version.ts';

const program = new Command('recsys')
  .description('Product recommender for online shops — local runtime and operations CLI')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

/**
 * Command modules in help order, each loaded only when needed: `recsys import …` then loads the importers and
 * not the training code or the AWS SDK clients behind `retrain` (about a second of start-up, measured). The
 * names are the top-level commands each module registers.
 */
const COMMANDS: { names: string[]; load: () => Promise<(program: Command) => void> }[] = [
  { names: ['serve'], load: async () => (await import('./commands/serve.ts')).registerServe },
  { names: ['demo'], load: async () => (await import('./commands/demo.ts')).registerDemo },
  { names: ['ingest'], load: async () => (await import('./commands/ingest.ts')).registerIngest },
  { names: ['import'], load: async () => (await import('./commands/import.ts')).registerImport },
  { names: ['train'], load: async () => (await import('./commands/train.ts')).registerTrain },
  { names: ['recommend'], load: async () => (await import('./commands/recommend.ts')).registerRecommend },
  { names: ['evaluate'], load: async () => (await import('./commands/evaluate.ts')).registerEvaluate },
  { names: ['experiment'], load: async () => (await import('./commands/experiment.ts')).registerExperiment },
  { names: ['cost'], load: async () => (await import('./commands/cost.ts')).registerCost },
  { names: ['forget'], load: async () => (await import('./commands/forget.ts')).registerForget },
  {
    names: ['retrain', 'models', 'rollback', 'runs'],
    load: async () => (await import('./commands/retrain.ts')).registerRetrain,
  },
];

// The command is the first argument; anything else (--help, help, a typo, an option first) gets every command,
// so help and "did you mean" suggestions are as complete as before.
const requested = COMMANDS.find((c) => c.names.includes(process.argv[2] ?? ''));
for (const command of requested !== undefined ? [requested] : COMMANDS) (await command.load())(program);

// exitCode rather than process.exit(): exit() drops output still queued for a pipe, which is where CI and
// scripts read our error messages from.
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof CliError) {
    console.error(`error: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
}
