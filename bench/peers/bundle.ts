/**
 * Bundles bench/peers/ts-ials.ts into one ES module with esbuild, as jobs/trainer/bundle.cjs bundles the
 * trainer: the pool's `new URL('./worker.ts', import.meta.url)` becomes the bundle itself, whose entry loads the
 * worker side off the main thread.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const WORKER_URL = "new URL('./worker.ts', import.meta.url)";

const workerFromBundle: Plugin = {
  name: 'peer-worker-from-bundle',
  setup(b) {
    b.onLoad({ filter: /shared[\\/]model[\\/]parallel\.ts$/ }, async (args) => {
      const parts = (await readFile(args.path, 'utf8')).split(WORKER_URL);
      if (parts.length !== 2) throw new Error(`${args.path} no longer starts its workers with ${WORKER_URL}`);
      return { contents: parts.join('new URL(import.meta.url)'), loader: 'ts' };
    });
  },
};

/** Writes `<dir>/ts-ials.mjs` and returns its path. */
export async function bundleTsPeer(dir: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./ts-ials.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    write: false,
    legalComments: 'none',
    plugins: [workerFromBundle],
    logLevel: 'silent',
  });
  const path = join(dir, 'ts-ials.mjs');
  await writeFile(path, result.outputFiles[0]!.contents);
  return path;
}
