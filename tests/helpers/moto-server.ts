import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const motoServerBin = join(repoRoot, '.venv', 'bin', 'moto_server');

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /** How long to wait for the server to answer HTTP; python start-up is slow on a busy 2-core machine. */
  startTimeoutMs?: number;
}

/** A port the kernel says is free right now; moto_server cannot be told to pick one itself. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a listening socket'));
      });
    });
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a private moto_server on a free loopback port. Every test file gets its own, so state never
 * leaks between files running in parallel.
 */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  if (!existsSync(motoServerBin)) {
    throw new Error(
      `moto_server not found at ${motoServerBin}: run 'bash scripts/python-env.sh' to build .venv (npm test runs it first)`,
    );
  }
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoServerBin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Werkzeug logs every request on stderr; only the start matters when diagnosing a failed start.
    if (stderr.length < 16_000) stderr += chunk;
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  // If the test process ends without calling stop() (a crash, an unhandled failure), the server must not
  // outlive it. 'exit' handlers run synchronously, so only a synchronous kill is possible here.
  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = exited(child);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `moto_server exited before answering (${spawnError?.message ?? `code ${child.exitCode}, signal ${child.signalCode}`}):\n${stderr}`,
      );
    }
    try {
      // Any HTTP answer means the server is up; moto's own API path answers without touching a backend.
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return { endpoint, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${startTimeoutMs} ms:\n${stderr}`);
    }
    await delay(100);
  }
}
