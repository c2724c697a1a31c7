/** Where progress goes: stderr by default, so stdout keeps only results (and pipes stay clean). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Redraw interval on a terminal. */
  ttyIntervalMs?: number;
  /** Interval between plain lines when not a terminal (logs, CI). */
  plainIntervalMs?: number;
  now?: () => number;
}

export interface ProgressReporter {
  /** Safe to pass as a callback (`onProgress: progress.update`); cheap to call often — output is throttled. */
  update: (done: number, total?: number) => void;
  /** Draws the final state and ends the line. */
  done: () => void;
}

const BAR_WIDTH = 24;

/**
 * A progress display for long work: on a terminal one redrawn line with a bar, counts, rate and ETA; otherwise a
 * plain line every few seconds, so logs show the work is alive without a flood. `unit` 'bytes' shows sizes in MiB.
 */
export function progressReporter(
  label: string,
  unit: string,
  options: ProgressOptions = {},
): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const interval = tty ? (options.ttyIntervalMs ?? 100) : (options.plainIntervalMs ?? 5000);
  const started = now();
  let lastDraw = started;
  let latestDone = 0;
  let latestTotal: number | undefined;
  let finished = false;

  const amount = (n: number) =>
    unit === 'bytes' ? `${(n / 1048576).toFixed(1)}` : Math.round(n).toLocaleString('en-US');
  const unitLabel = unit === 'bytes' ? 'MiB' : unit;

  function line(final: boolean): string {
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    const rate = latestDone / seconds;
    const total = latestTotal;
    const counts =
      total !== undefined
        ? `${amount(latestDone)}/${amount(total)} ${unitLabel}`
        : `${amount(latestDone)} ${unitLabel}`;
    const rateText = `${amount(rate)} ${unitLabel}/s`;
    if (final) return `${label}: ${counts} in ${seconds.toFixed(1)} s (${rateText})`;
    const fraction = total !== undefined && total > 0 ? Math.min(latestDone / total, 1) : undefined;
    const pct = fraction !== undefined ? ` ${(fraction * 100).toFixed(0).padStart(3)}%` : '';
    const eta =
      fraction !== undefined && rate > 0 && total !== undefined
        ? ` ETA ${duration((total - latestDone) / rate)}`
        : '';
    if (!tty) return `${label}: ${counts}${pct}, ${rateText}${eta}`;
    const bar =
      fraction !== undefined
        ? `[${'█'.repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, '░')}]`
        : `[${'░'.repeat(BAR_WIDTH)}]`;
    return `${label} ${bar}${pct} ${counts} · ${rateText}${eta}`;
  }

  function draw(final: boolean): void {
    const text = line(final);
    if (tty) {
      const width = stream.columns ?? 120;
      stream.write(
        `\r\x1b[2K${text.length > width - 1 ? text.slice(0, width - 1) : text}${final ? '\n' : ''}`,
      );
    } else {
      stream.write(`${text}\n`);
    }
  }

  return {
    update: (done, total) => {
      if (finished) return;
      latestDone = done;
      if (total !== undefined) latestTotal = total;
      const t = now();
      if (t - lastDraw < interval) return;
      lastDraw = t;
      draw(false);
    },
    done: () => {
      if (finished) return;
      finished = true;
      draw(true);
    },
  };
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${(s % 60).toString().padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${(m % 60).toString().padStart(2, '0')}m`;
}
