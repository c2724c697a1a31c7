import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Context } from 'aws-lambda';
import type { CfnTemplate } from '../cloudformation.ts';
import type { TemplateResolver } from './template.ts';

const run = promisify(execFile);
const PYTHON = join(process.cwd(), '.venv', 'bin', 'python');

type Handler = (event: unknown, context: Context) => Promise<unknown>;

interface Fn {
  logicalId: string;
  name: string;
  arn: string;
  zip: string;
  handlerFile: string;
  handlerExport: string;
  memoryMb: number;
  env: Record<string, string>;
  loaded?: Promise<Handler>;
  invocations: number;
}

/** What the Lambda runtime adds to a function's environment, and the stand-ins' endpoints (no real AWS). */
export interface RuntimeEnv {
  region: string;
  motoEndpoint: string;
  dynamodbEndpoint: string;
}

/**
 * The packaged functions (`.serverless/<fn>.zip`, the artifacts `sls deploy` uploads) run in this process, each
 * with the environment the compiled template gives it, resolved against the stand-in stack. Each zip is its own
 * module, so each function has its own cold start and its own module state, as in Lambda. Invocations run one
 * at a time because the environment is the process's: a function sees only its own variables while it runs.
 * Everything a function writes to stdout/stderr goes to its log (the stand-in log group), not the test output.
 */
export async function packagedLambdas(options: {
  packageDir: string;
  /** Where the zips are unpacked (the package directory is shared and stays as `sls package` left it). */
  extractDir: string;
  template: CfnTemplate;
  resolver: TemplateResolver;
  runtime: RuntimeEnv;
}) {
  const fns = new Map<string, Fn>();
  for (const [logicalId, r] of Object.entries(options.template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const p = options.resolver.resolve(r.Properties) as {
      FunctionName: string;
      Handler: string;
      MemorySize?: number;
      Code: { S3Key: string };
      Environment?: { Variables?: Record<string, string> };
    };
    const zip = join(options.packageDir, p.Code.S3Key.split('/').at(-1) as string);
    const dot = p.Handler.lastIndexOf('.');
    fns.set(p.FunctionName, {
      logicalId,
      name: p.FunctionName,
      arn: options.resolver.getAtt(logicalId, 'Arn'),
      zip,
      handlerFile: `${p.Handler.slice(0, dot)}.mjs`,
      handlerExport: p.Handler.slice(dot + 1),
      memoryMb: p.MemorySize ?? 1024,
      env: Object.fromEntries(Object.entries(p.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)])),
      invocations: 0,
    });
  }
  const logs = new Map<string, string[]>();
  let queue: Promise<unknown> = Promise.resolve();

  const find = (nameOrArn: string): Fn => {
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] as string) : nameOrArn;
    const fn = fns.get(name);
    if (fn === undefined)
      throw new Error(`no packaged function ${nameOrArn}; the template has ${[...fns.keys()]}`);
    return fn;
  };

  const load = (fn: Fn): Promise<Handler> =>
    (fn.loaded ??= (async () => {
      const dir = join(options.extractDir, fn.logicalId);
      if (!existsSync(dir)) await run(PYTHON, ['-m', 'zipfile', '-e', fn.zip, dir]);
      const module = (await import(pathToFileURL(join(dir, fn.handlerFile)).href)) as Record<string, unknown>;
      const handler = module[fn.handlerExport];
      if (typeof handler !== 'function')
        throw new Error(`${fn.zip}: ${fn.handlerFile} exports no ${fn.handlerExport}`);
      return handler as Handler;
    })());

  const context = (fn: Fn): Context =>
    ({
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: String(fn.memoryMb),
      awsRequestId: `req-${fn.name}-${++fn.invocations}`,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: 'standin',
      getRemainingTimeInMillis: () => 60_000,
      callbackWaitsForEmptyEventLoop: false,
    }) as unknown as Context;

  async function invokeNow(fn: Fn, event: unknown): Promise<unknown> {
    const saved = process.env;
    const log = logs.get(fn.name) ?? [];
    logs.set(fn.name, log);
    process.env = {
      PATH: saved.PATH,
      TZ: 'UTC',
      ...fn.env,
      AWS_REGION: options.runtime.region,
      AWS_DEFAULT_REGION: options.runtime.region,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_ENDPOINT_URL: options.runtime.motoEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: options.runtime.dynamodbEndpoint,
    };
    const out = process.stdout.write;
    const err = process.stderr.write;
    const capture = ((chunk: string | Uint8Array) => {
      log.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      const handler = await load(fn);
      return await handler(event, context(fn));
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      process.env = saved;
    }
  }

  return {
    /** Invokes a function by name or ARN, after every invocation already queued. */
    invoke(nameOrArn: string, event: unknown): Promise<unknown> {
      const fn = find(nameOrArn);
      const result = queue.then(() => invokeNow(fn, event));
      queue = result.catch(() => undefined);
      return result;
    },
    names: () => [...fns.keys()],
    /** Each function's log lines (what CloudWatch Logs would hold). */
    logs: (name: string) => logs.get(name) ?? [],
    env: (name: string) => find(name).env,
  };
}

export type PackagedLambdas = Awaited<ReturnType<typeof packagedLambdas>>;
