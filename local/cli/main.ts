import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerImport } from './commands/import.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerRecommend } from './commands/recommend.ts';
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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof CliError) {
    console.error(`error: ${error.message}`);
    process.exit(error.exitCode);
  }
  console.error(error);
  process.exit(1);
}
