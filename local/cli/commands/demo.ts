import { access, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { createSqlitePublicationStore } from '../../../shared/adapters/local/sqlite-publication-store.ts';
import { MODEL_CHOICES, type ModelChoice } from '../../../shared/model/model-choice.ts';
import { dataDirLayout, resolveDataDir } from '../../data-dir.ts';
import { importOnlineRetail } from '../../import/online-retail.ts';
import { runRetrainLocally } from '../../pipeline/retrain.ts';
import { openLocalRuntime } from '../../runtime.ts';
import { serve } from '../../server/start-server.ts';
import { CliError } from '../errors.ts';
import { addServerOptions, dataDirOption } from '../options.ts';
import { progressReporter } from '../progress.ts';
import { refreshLocalLists } from '../refresh-lists.ts';
import { formatRunStates } from '../run-report.ts';

const DEMO_FILE = fileURLToPath(
  new URL('../../../data/online-retail/online_retail.parquet', import.meta.url),
);

interface DemoOptions {
  dataDir: string;
  port: string;
  host: string;
  apiKey?: string;
  file?: string;
  model: ModelChoice;
}

/**
 * `npm start`: the first thing a new user runs. Imports the bundled shop once (a marker in the data directory
 * remembers it), trains and publishes a model through the retrain state machine when none serves yet, then serves
 * the API, the storefront and the console, ending with the storefront's URL.
 */
export function registerDemo(program: Command): void {
  addServerOptions(
    program
      .command('demo')
      .description(
        'import the bundled Online Retail shop on first run, then serve it (what `npm start` runs)',
      )
      .addOption(dataDirOption())
      .option(
        '--file <parquet>',
        'on first run, import this Online Retail-shaped parquet instead of the bundled shop (a smaller shop starts sooner)',
      )
      .addOption(
        new Option('--model <choice>', 'what the first training fits (recsys train --model)')
          .choices(MODEL_CHOICES)
          .default('auto'),
      ),
  ).action(async (opts: DemoOptions) => {
    const dataDir = resolveDataDir(opts.dataDir);
    const marker = dataDirLayout(dataDir).demoMarker;
    const file = opts.file !== undefined ? resolve(opts.file) : DEMO_FILE;
    if (!(await exists(marker))) {
      if (!(await exists(file))) throw new CliError(`--file ${file} does not exist`);
      console.log(
        `first run: importing ${file === DEMO_FILE ? 'the bundled demo shop' : 'the demo shop'} (${file}) into ${dataDir}`,
      );
      const runtime = await openLocalRuntime({ dataDir, bulk: true });
      try {
        const progress = progressReporter('import', 'lines');
        const summary = await importOnlineRetail({ file, runtime, onProgress: progress.update });
        progress.done();
        await writeFile(
          marker,
          `${JSON.stringify({ importedAt: new Date().toISOString(), summary }, null, 2)}\n`,
        );
      } finally {
        await runtime.close();
      }
    }
    await retrainIfNothingServes(dataDir, opts.model);
    await serve({ dataDir, port: Number(opts.port), host: opts.host, apiKey: opts.apiKey });
  });
}

/** The first start ends with a served model: the retrain state machine runs once, here, before serving. */
async function retrainIfNothingServes(dataDir: string, model: ModelChoice): Promise<void> {
  const publications = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
  const deployment = await publications.getDeployment().finally(() => publications.close());
  if (deployment !== undefined) {
    // A shop back after weeks away: lists about to expire (or expired) are republished before serving.
    await refreshLocalLists(dataDir, undefined, (run) => {
      for (const line of formatRunStates(run)) console.log(line);
    });
    return;
  }
  console.log('no model serves yet: running the retrain state machine (recsys retrain)');
  const run = await runRetrainLocally({
    dataDir,
    model,
    budgetSeconds: 10,
    onProgress: (line) => {
      if (!line.startsWith('  train:')) console.log(line);
    },
  });
  for (const line of formatRunStates(run)) console.log(line);
  if (run.status === 'FAILED')
    console.warn(
      `warning: retraining failed (${run.error?.name}: ${run.error?.cause}); serving without a model`,
    );
  else
    console.log(
      `${run.name}: ${run.outcome} in ${run.seconds.toFixed(1)} s (model ${run.modelVersion ?? '—'})`,
    );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
