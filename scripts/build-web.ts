import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));

export interface WebFile {
  contentType: string;
  body: Uint8Array | string;
}

const HTML = 'text/html; charset=utf-8';

/**
 * The storefront and the operations console: web/*.ts bundled by esbuild (minified, one file per page, no
 * framework) beside the two HTML pages and the stylesheet. Returns what each URL path serves; the local server
 * serves it from memory and `node scripts/build-web.ts <dir>` writes it for the S3 bucket (resources/web.yml).
 * `config.json` tells the pages where the API is: the same origin locally, the stage's API URL on AWS.
 */
export async function buildWeb(options: { apiUrl?: string } = {}): Promise<Record<string, WebFile>> {
  const result = await build({
    entryPoints: { storefront: join(WEB, 'storefront.ts'), console: join(WEB, 'console.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    outdir: '/assets',
    logLevel: 'silent',
  });
  const files: Record<string, WebFile> = {
    '/': { contentType: HTML, body: await readFile(join(WEB, 'index.html'), 'utf8') },
    '/console': { contentType: HTML, body: await readFile(join(WEB, 'console.html'), 'utf8') },
    '/assets/styles.css': {
      contentType: 'text/css; charset=utf-8',
      body: await readFile(join(WEB, 'styles.css'), 'utf8'),
    },
    '/config.json': {
      contentType: 'application/json',
      body: `${JSON.stringify({ apiUrl: options.apiUrl ?? '' })}\n`,
    },
  };
  for (const out of result.outputFiles)
    files[out.path] = { contentType: 'text/javascript; charset=utf-8', body: out.contents };
  return files;
}

/** Bytes of the page scripts, as the README reports them. */
export function bundleBytes(files: Record<string, WebFile>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(files)
      .filter(([path]) => path.endsWith('.js'))
      .map(([path, f]) => [path, typeof f.body === 'string' ? Buffer.byteLength(f.body) : f.body.length]),
  );
}

/** On disk, for the bucket: `/` is index.html and `/console` console.html (CloudFront's default root object). */
async function writeTo(dir: string, apiUrl: string | undefined): Promise<void> {
  const files = await buildWeb(apiUrl !== undefined ? { apiUrl } : {});
  for (const [path, file] of Object.entries(files)) {
    const name = path === '/' ? 'index.html' : path === '/console' ? 'console.html' : path.slice(1);
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), file.body);
  }
  for (const [path, bytes] of Object.entries(bundleBytes(files)))
    console.log(`${path}: ${(bytes / 1024).toFixed(1)} KiB`);
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await writeTo(process.argv[2] ?? 'web-dist', process.env.RECSYS_API_URL);
