import { type Command, InvalidArgumentError, Option } from 'commander';

/** Settings shared by every command that touches local state; each has an environment variable too. */
export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', 'all local state (lake, serving store, models)')
    .env('RECSYS_DATA_DIR')
    .default('.data');
}

export function addServerOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--port <port>', 'port to listen on').env('PORT').default('3000').argParser(parsePort),
    )
    .addOption(new Option('--host <host>', 'address to listen on').default('127.0.0.1'))
    .addOption(
      new Option('--api-key <key>', 'the x-api-key clients must send (generated when unset)').env(
        'RECSYS_API_KEY',
      ),
    );
}

function parsePort(value: string): string {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    // Commander reports an InvalidArgumentError as a one-line usage error; any other error escapes as a stack.
    throw new InvalidArgumentError('It must be an integer from 0 to 65535.');
  return value;
}

/** --aws on a command that can act on a deployed stage (its --stage names which: local/cli/aws/stage.ts). */
export const awsOption = () =>
  new Option('--aws', 'act on the deployed stage named by --stage (its stack recsys-<stage>)');
export const regionOption = () =>
  new Option('--region <region>', 'with --aws: the stage’s region (default: AWS_REGION or the profile’s)');
