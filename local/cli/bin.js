#!/usr/bin/env node
// The recsys CLI entry. Plain JS so it can say clearly when it is started by a Node that cannot run the
// TypeScript sources (they rely on Node 22's built-in type stripping and node:sqlite).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major !== 22 || minor < 18) {
  console.error(
    `recsys needs Node 22.18 or later in the 22 line (this is ${process.version}).\n` +
      'Run it through npm, which uses the node@22 devDependency: npm run recsys -- <command>',
  );
  process.exit(1);
}
await import('./main.ts');
