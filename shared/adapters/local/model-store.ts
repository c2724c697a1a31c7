import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { ArtifactFiles } from '../../model/artifact.ts';
import type { ModelStore } from '../../ports/model-store.ts';
import { checkArtifactFileName, checkModelVersion, fileNotFound } from '../model-store-names.ts';

async function writeDurably(path: string, content: Uint8Array | string): Promise<void> {
  const h = await open(path, 'w');
  try {
    await h.writeFile(content);
    await h.sync();
  } finally {
    await h.close();
  }
}

function safeName(name: string): string {
  // Artifact names are relative paths with `/`; never let one climb out of the directory.
  checkArtifactFileName(name);
  return name.split('/').join(sep);
}

/**
 * Writes an artifact directory atomically: every file into a hidden temporary sibling, manifest.json last,
 * then one rename. A crash leaves only a `.tmp-…` directory, never a half-written `dir`.
 */
export async function writeArtifactDirectory(dir: string, files: ArtifactFiles): Promise<void> {
  const target = resolve(dir);
  if (await exists(target)) {
    const entries = await readdir(target).catch(() => ['(not a directory)']);
    if (entries.length > 0) throw new Error(`${target} already exists and is not empty`);
    await rm(target, { recursive: true });
  }
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.tmp-${basename(target)}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const dirs = new Set<string>();
    for (const name of files.keys()) {
      const d = dirname(safeName(name));
      if (d !== '.') dirs.add(d);
    }
    for (const d of dirs) await mkdir(join(tmp, d), { recursive: true });
    for (const [name, content] of files) {
      if (name !== 'manifest.json') await writeDurably(join(tmp, safeName(name)), content);
    }
    const manifest = files.get('manifest.json');
    if (manifest === undefined) throw new Error('an artifact needs a manifest.json');
    await writeDurably(join(tmp, 'manifest.json'), manifest);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Read access to one artifact directory, in the shape decodeArtifact takes. */
export function artifactDirectory(dir: string) {
  const root = resolve(dir);
  return {
    root,
    read: (name: string): Promise<Uint8Array> => readFile(join(root, safeName(name))),
    exists: (name: string): Promise<boolean> => exists(join(root, safeName(name))),
  };
}

/** The local model store: `<root>/<version>/`, root normally `<data-dir>/models`. */
export function createLocalModelStore(options: { root: string }): ModelStore {
  const root = resolve(options.root);
  const location = (version: string) => join(root, version);
  return {
    location,
    async write(version, files) {
      checkModelVersion(version);
      await writeArtifactDirectory(location(version), files);
    },
    async list() {
      let entries: string[];
      try {
        entries = await readdir(root);
      } catch {
        return [];
      }
      const complete: string[] = [];
      for (const e of entries.sort()) {
        if (e.startsWith('.')) continue;
        const s = await stat(join(root, e, 'manifest.json')).catch(() => undefined);
        if (s?.isFile()) complete.push(e);
      }
      return complete;
    },
    async read(version, name) {
      try {
        return await artifactDirectory(location(version)).read(name);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw fileNotFound(name, location(version));
        throw error;
      }
    },
    async exists(version, name) {
      // A file, as S3 has them: a folder of files is not one.
      const s = await stat(join(location(version), safeName(name))).catch(() => undefined);
      return s?.isFile() ?? false;
    },
  };
}
