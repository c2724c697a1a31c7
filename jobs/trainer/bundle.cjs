'use strict';
/**
 * Builds the TypeScript trainer (jobs/trainer/entry.ts) into ONE self-contained ES module, the file the EMR
 * step runs with `node` on the primary node (no node_modules there): the AWS SDK and the wasm kernels inside.
 *
 * The training thread pool (shared/model/parallel.ts) starts its workers from `new URL('./worker.ts',
 * import.meta.url)`, a file a bundle does not have; here that URL becomes the bundle itself, whose entry loads
 * the worker side when it is not the main thread. The build fails if parallel.ts stops naming its worker so.
 *
 * CommonJS because the Serverless plugin loader require()s jobs/emr/deploy-plugin.cjs, which calls this.
 * Also a command: `node jobs/trainer/bundle.cjs <dir>` (npm run build:trainer) writes <dir>/trainer.mjs.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '../..');
const WORKER_URL = "new URL('./worker.ts', import.meta.url)";

const workerFromBundle = {
  name: 'trainer-worker-from-bundle',
  setup(build) {
    build.onLoad({ filter: /shared[\\/]model[\\/]parallel\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const parts = text.split(WORKER_URL);
      if (parts.length !== 2)
        throw new Error(
          `${args.path} no longer starts its workers with ${WORKER_URL}: update jobs/trainer/bundle.cjs`,
        );
      return { contents: parts.join('new URL(import.meta.url)'), loader: 'ts' };
    });
  },
};

/** The bundle's bytes and their sha256 (hex): the same sources give the same bytes. */
async function buildTrainerBundle(root = ROOT) {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'jobs/trainer/entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    write: false,
    legalComments: 'none',
    // Some CommonJS dependencies of the SDK call `require` for Node built-ins; an ES module has none.
    banner: {
      js: "import { createRequire as __recsysCreateRequire } from 'node:module'; const require = __recsysCreateRequire(import.meta.url);",
    },
    plugins: [workerFromBundle],
    logLevel: 'silent',
  });
  const code = Buffer.from(result.outputFiles[0].contents);
  return { code, sha256: createHash('sha256').update(code).digest('hex') };
}

/** Writes `<dir>/trainer.mjs` and returns its path. */
async function writeTrainerBundle(dir, root = ROOT) {
  const { code } = await buildTrainerBundle(root);
  mkdirSync(dir, { recursive: true });
  const path = join(resolve(dir), 'trainer.mjs');
  writeFileSync(path, code);
  return path;
}

module.exports = { buildTrainerBundle, writeTrainerBundle };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node jobs/trainer/bundle.cjs <output directory>\n');
    process.exit(2);
  }
  writeTrainerBundle(dir).then(
    (path) => process.stdout.write(`${path}\n`),
    (error) => {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
