import type { Command } from 'commander';
import { idSchema } from '../../../shared/domain/text.ts';
import { forgetShopper } from '../../../shared/users/forget.ts';
import { resolveDataDir } from '../../data-dir.ts';
import { localForgetDeps } from '../../forget-deps.ts';
import { type LocalRuntime, openLocalRuntime } from '../../runtime.ts';
import { CliError } from '../errors.ts';
import { dataDirOption } from '../options.ts';

export function registerForget(program: Command): void {
  program
    .command('forget')
    .description(
      'forget a shopper (the right to be forgotten): as DELETE /v1/users/{userId} does, on the local data directory',
    )
    .argument('<userId>', 'the shopper to forget')
    .addOption(dataDirOption())
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Deletes the shopper's profile, preferences, recent activity, exclusions and published lists at once and writes a
tombstone into the lake (raw/users/): the next retrain drops the shopper's events up to now. Stop the server
first (it holds the data directory), or call DELETE /v1/users/{userId} on it instead.

Exit codes:
  0  forgotten (also when nothing was stored: the tombstone is written anyway)
  1  the user id is not valid, or the data directory cannot be opened`,
    )
    .action(async (userId: string, opts: { dataDir: string; json?: boolean }) => {
      const checked = idSchema.safeParse(userId);
      if (!checked.success)
        throw new CliError(`userId ${JSON.stringify(userId)} ${checked.error.issues[0]!.message}`);
      let runtime: LocalRuntime;
      try {
        runtime = await openLocalRuntime({ dataDir: resolveDataDir(opts.dataDir) });
      } catch (error) {
        throw new CliError(`cannot open the data directory: ${(error as Error).message}`, 1, {
          cause: error,
        });
      }
      try {
        const result = await forgetShopper(userId, localForgetDeps(runtime));
        if (opts.json === true) console.log(JSON.stringify(result, null, 2));
        else
          console.log(
            `forgot ${userId} at ${result.forgottenAt}: ${result.hadProfile ? 'profile/preferences, ' : ''}recent activity, exclusions and lists of ${result.versions} model version(s) deleted; tombstone written (the next retrain drops the shopper's events)`,
          );
      } finally {
        await runtime.close();
      }
    });
}
