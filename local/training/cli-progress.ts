import { type ProgressReporter, progressReporter } from '../cli/progress.ts';

/**
 * Progress of a training run on stderr: counted phases (reading, precomputing) as a bar on a terminal or plain
 * lines otherwise, and the tuner's messages as lines stamped with the elapsed time.
 */
export function trainingProgress() {
  const started = performance.now();
  let current: { label: string; reporter: ProgressReporter } | undefined;
  const finish = () => {
    current?.reporter.done();
    current = undefined;
  };
  return {
    message(text: string) {
      finish();
      const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
      process.stderr.write(`[${s} s] ${text}\n`);
    },
    count(label: string, done: number, total?: number) {
      if (current?.label !== label) {
        finish();
        current = {
          label,
          reporter: progressReporter(
            label,
            label.startsWith('reading csv') ? 'bytes' : label.startsWith('reading') ? 'objects' : 'users',
          ),
        };
      }
      current.reporter.update(done, total);
      if (total !== undefined && done >= total) finish();
    },
    finish,
  };
}
