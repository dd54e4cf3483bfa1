import cliProgress from 'cli-progress';

/** Bytes as megabytes with one decimal, the unit model sizes are usually quoted in. */
export function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** A byte-count progress bar on `stream`, or nothing when `show` is false. */
export class DownloadProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private done = 0;

  constructor(
    private total: number,
    show: boolean,
    stream: NodeJS.WritableStream,
  ) {
    this.bar = show
      ? new cliProgress.SingleBar(
          {
            stream,
            format: '[{bar}] {percentage}% | {doneMb}/{totalMb} MB | {file}',
            hideCursor: true,
            // Asked for explicitly on a non-terminal (a log file): print plain periodic lines.
            noTTYOutput: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, 0, this.payload(''));
  }

  /** Called as `file` starts; `addedBytes` is its size when the hub did not list it up front. */
  startFile(file: string, addedBytes = 0): void {
    this.total += addedBytes;
    this.bar?.setTotal(this.total);
    this.bar?.update(this.done, this.payload(file));
  }

  advance(bytes: number): void {
    this.done += bytes;
    this.bar?.update(this.done, { doneMb: megabytes(this.done) });
  }

  stop(): void {
    this.bar?.stop();
  }

  private payload(file: string): Record<string, string> {
    return { doneMb: megabytes(this.done), totalMb: megabytes(this.total), file };
  }
}
