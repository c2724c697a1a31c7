import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerExperiment } from './commands/experiment.ts';
import { registerImport } from './commands/import.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerRecommend } from './commands/recommend.ts';
import { registerRetrain } from './commands/retrain.ts';
import { registerServe } from './commands/serve.ts';
import { registerTrain } from './commands/train.ts';
import { CliError } from './errors.ts';
import { VERSION } from './version.ts';

const program = new Command('recsys')
  .description('Product recommender for online shops — local runtime and operations CLI')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerDemo(program);
registerIngest(program);
registerImport(program);
registerTrain(program);
registerRecommend(program);
registerEvaluate(program);
registerExperiment(program);
registerRetrain(program);

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
