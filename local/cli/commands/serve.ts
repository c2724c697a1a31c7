import type { Command } from 'commander';
import { resolveDataDir } from '../../data-dir.ts';
import { serve } from '../../server/start-server.ts';
import { addServerOptions, dataDirOption } from '../options.ts';

export function registerServe(program: Command): void {
  addServerOptions(
    program
      .command('serve')
      .description('run the API on this machine with the embedded lake and store (no AWS account needed)')
      .addOption(dataDirOption()),
  ).action(async (opts: { dataDir: string; port: string; host: string; apiKey?: string }) => {
    await serve({
      dataDir: resolveDataDir(opts.dataDir),
      port: Number(opts.port),
      host: opts.host,
      apiKey: opts.apiKey,
    });
  });
}
