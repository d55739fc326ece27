/**
 * Progress on standard error, so standard output stays clean for data (`kibble export > x.csv`):
 * a live bar on a terminal, otherwise (logs, CI) a plain "label: n/total" line about every tenth of
 * the way for jobs of 1,000 rows or more.
 */
import cliProgress from 'cli-progress';

export type Progress = { tick(n?: number): void; done(): void };

export function progress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (total <= 0) return { tick: () => undefined, done: () => undefined };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
        stream,
        hideCursor: true,
        etaBuffer: 200,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    let stopped = false;
    return {
      tick: (n = 1) => bar.increment(n),
      done: () => {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }
  // Small jobs finish before a line would help; the command's own summary says how many.
  if (total < 1000) return { tick: () => undefined, done: () => undefined };
  const step = Math.max(1000, Math.ceil(total / 10));
  let value = 0;
  let printed = 0;
  const print = () => {
    stream.write(`${label}: ${value}/${total}\n`);
    printed = value;
  };
  return {
    tick: (n = 1) => {
      value += n;
      if (value - printed >= step) print();
    },
    done: () => {
      if (printed !== value) print();
    },
  };
}
