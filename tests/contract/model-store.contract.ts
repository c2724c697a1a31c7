import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactFiles } from '../../shared/model/artifact.ts';
import type { ModelStore } from '../../shared/ports/model-store.ts';

export type ModelStoreSetup = () => Promise<{
  store: ModelStore;
  /** Puts one file of `version` straight into the medium, no manifest: what a writer that died leaves. */
  plantUnfinished(version: string, name: string, body: string): Promise<void>;
  cleanup(): Promise<void>;
}>;

export const V1 = '20240301T000000Z-000000a1';
const V2 = '20240302T000000Z-000000b2';
const V3 = '20240303T000000Z-000000c3';

/** An artifact with text and binary files, an empty one, non-ASCII text and a nested name. */
export function artifact(tag: string): ArtifactFiles {
  return new Map<string, string | Uint8Array>([
    ['users.txt', 'u0\nu1\n'],
    ['items.txt', 'ïtem-✓\n85123A\n'],
    ['popularity.f32', new Uint8Array(new Float32Array([0.5, 0.25, -1]).buffer)],
    ['recommendations/part-00000.jsonl', '{"userId":"u0","items":["85123A"]}\n'],
    ['holdout/part-00000.jsonl', ''],
    ['manifest.json', JSON.stringify({ schemaVersion: 1, tag })],
  ]);
}

const bytes = (content: string | Uint8Array) =>
  Array.from(typeof content === 'string' ? new TextEncoder().encode(content) : content);
const text = (content: Uint8Array) => new TextDecoder().decode(content);

/** The whole behaviour of the ModelStore port; every adapter runs it (tests/contract/model-store.test.ts). */
export function modelStoreContract(name: string, setup: ModelStoreSetup): void {
  describe(`Contract: ModelStore (${name})`, () => {
    let store: ModelStore;
    let plantUnfinished: (version: string, name: string, body: string) => Promise<void>;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, plantUnfinished, cleanup } = await setup());
    });
    afterEach(async () => {
      await cleanup?.();
    });

    it('returns no versions from an empty store', async () => {
      // Act
      const versions = await store.list();

      // Assess
      expect(versions).toEqual([]);
    });

    it('returns every file byte for byte as written, nested and empty ones included', async () => {
      // Prepare
      const files = artifact('a');

      // Act
      await store.write(V1, files);
      const read = await Promise.all(
        [...files.keys()].map(async (n) => [n, await store.read(V1, n)] as const),
      );
      const present = await Promise.all([...files.keys()].map((n) => store.exists(V1, n)));

      // Assess
      expect(read.map(([n, content]) => [n, Array.from(content)])).toEqual(
        [...files].map(([n, content]) => [n, bytes(content)]),
      );
      expect(present).toEqual([true, true, true, true, true, true]);
    });

    it('returns false from exists for a missing file, a missing version and a folder of files', async () => {
      // Prepare
      await store.write(V1, artifact('a'));

      // Act
      const found = await Promise.all([
        store.exists(V1, 'nope.txt'),
        store.exists(V2, 'manifest.json'),
        store.exists(V1, 'recommendations'),
        store.exists(V1, 'recommendations/part-00001.jsonl'),
      ]);

      // Assess
      expect(found).toEqual([false, false, false, false]);
    });

    it('rejects a read of a missing file with an error naming the file and where the version lives', async () => {
      // Prepare
      await store.write(V1, artifact('a'));

      // Act
      const outcomes = await Promise.allSettled([
        store.read(V1, 'nope.txt'),
        store.read(V2, 'manifest.json'),
      ]);

      // Assess
      expect(outcomes).toEqual([
        { status: 'rejected', reason: new Error(`nope.txt not found in ${store.location(V1)}`) },
        { status: 'rejected', reason: new Error(`manifest.json not found in ${store.location(V2)}`) },
      ]);
    });

    it('lists complete versions only, oldest first, whatever order they were written in', async () => {
      // Prepare
      await store.write(V2, artifact('b'));
      await store.write(V1, artifact('a'));
      await plantUnfinished(V3, 'users.txt', 'u0\n');

      // Act
      const versions = await store.list();

      // Assess
      expect(versions).toEqual([V1, V2]);
      await expect(store.exists(V3, 'users.txt')).resolves.toBe(true);
    });

    it('rejects writing a version that exists, naming where it lives, and keeps the first artifact', async () => {
      // Prepare
      await store.write(V1, artifact('first'));

      // Act
      const again = store.write(V1, artifact('second'));

      // Assess
      await expect(again).rejects.toThrow(`${store.location(V1)} already exists`);
      expect(JSON.parse(text(await store.read(V1, 'manifest.json')))).toEqual({
        schemaVersion: 1,
        tag: 'first',
      });
      expect(await store.list()).toEqual([V1]);
    });

    it('rejects an artifact without manifest.json and leaves nothing behind', async () => {
      // Prepare
      const files = artifact('a');
      files.delete('manifest.json');

      // Act
      const written = store.write(V1, files);

      // Assess
      await expect(written).rejects.toThrow('an artifact needs a manifest.json');
      expect(await store.list()).toEqual([]);
      expect(await store.exists(V1, 'users.txt')).toBe(false);
    });

    it.each(['', '..', '.', '.hidden', '../x', 'a/b', 'v 1'])(
      'rejects the model version %j and writes nothing',
      async (version) => {
        // Act
        const written = store.write(version, artifact('a'));

        // Assess
        await expect(written).rejects.toThrow(`not a valid model version: ${version}`);
        expect(await store.list()).toEqual([]);
      },
    );

    it.each(['../escape', '/absolute', 'a//b', './here', 'a/../b', 'trailing/'])(
      'rejects the file name %j on write, read and exists, and writes nothing',
      async (name) => {
        // Prepare
        const files = artifact('a');
        files.set(name, 'x');

        // Act
        const outcomes = await Promise.allSettled([
          store.write(V1, files),
          store.read(V1, name),
          store.exists(V1, name),
        ]);

        // Assess
        const error = new Error(`not a valid artifact file name: ${name}`);
        expect(outcomes).toEqual([
          { status: 'rejected', reason: error },
          { status: 'rejected', reason: error },
          { status: 'rejected', reason: error },
        ]);
        expect(await store.list()).toEqual([]);
        expect(await store.exists(V1, 'users.txt')).toBe(false);
      },
    );
  });
}
