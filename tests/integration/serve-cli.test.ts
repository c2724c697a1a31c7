import { access } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from '../helpers/processes.ts';
import { runCli, tempDir } from './import-fixtures.ts';

const BIN = new URL('../../local/cli/bin.js', import.meta.url).pathname;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Lines of a stack trace, or Node's own rendering of an uncaught error. */
const STACK = /^\s+at |EADDRINUSE|Error: /m;

let dir: Awaited<ReturnType<typeof tempDir>>;
let occupied: Server;
let busyPort: number;

beforeAll(async () => {
  dir = await tempDir('recsys-serve-cli-');
  occupied = createServer();
  await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
  busyPort = (occupied.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => occupied.close(resolve));
  await dir.remove();
});

describe('CLI: recsys serve', () => {
  it('on a port in use prints one line, exits non-zero and lets the data directory go', async () => {
    // Prepare
    const dataDir = join(dir.path, 'busy');

    // Act: the port given through PORT, as `npm start` users set it
    const run = await runCli(['serve', '--data-dir', dataDir], { PORT: String(busyPort) });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: port ${busyPort} is in use; set PORT or --port\n`);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stdout).not.toMatch(/listening/);
    expect(await exists(join(dataDir, 'LOCK'))).toBe(false);

    // Act: a second command on the same data directory, on a free port
    const second = startProcess(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--port', '0'], {
      ...process.env,
      RECSYS_API_KEY: 'serve-cli-key',
    });
    try {
      const [, url] = await second.waitFor(/listening on (http:\/\/\S+)/, 60_000);
      const health = await fetch(`${url}/health`);
      expect(await health.json()).toEqual({ status: 'ok', runtime: 'local', version: expect.any(String) });
      const item = await fetch(`${url}/v1/items/none`, { headers: { 'x-api-key': 'serve-cli-key' } });
      expect(item.status).toBe(404);
      // Assess: it owns the directory now, and gives it back on SIGTERM
      expect(await exists(join(dataDir, 'LOCK'))).toBe(true);
      second.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(await exists(join(dataDir, 'LOCK'))).toBe(false);
    } finally {
      second.kill('SIGKILL');
    }
  });

  it('on --port in use says the same', async () => {
    const run = await runCli([
      'serve',
      '--data-dir',
      join(dir.path, 'busy-flag'),
      '--port',
      String(busyPort),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: port ${busyPort} is in use; set PORT or --port\n`);
    expect(run.stderr).not.toMatch(STACK);
  });

  it('on a --host that is not this machine says so in one line', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine
    const run = await runCli([
      'serve',
      '--data-dir',
      join(dir.path, 'host'),
      '--host',
      '192.0.2.1',
      '--port',
      '0',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: cannot listen on 192.0.2.1:0: 192.0.2.1 is not an address of this machine; set --host\n',
    );
    expect(run.stderr).not.toMatch(STACK);
    expect(await exists(join(dir.path, 'host', 'LOCK'))).toBe(false);
  });

  it.each(['abc', '99999', '-1', '80.5'])(
    'refuses --port %s with a usage error, before touching the data directory',
    async (port) => {
      // Prepare
      const dataDir = join(dir.path, `port-${port}`);
      // Act
      const run = await runCli(['serve', '--data-dir', dataDir, '--port', port]);
      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `error: option '--port <port>' argument '${port}' is invalid. It must be an integer from 0 to 65535.\n`,
      );
      expect(run.stderr).not.toMatch(STACK);
      expect(await exists(dataDir)).toBe(false);
    },
  );
});
