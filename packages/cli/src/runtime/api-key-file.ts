import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { ApiKeys } from '@rerankd/gateway';
import { InvalidRequestError } from '@rerankd/protocol';

/** The keys a gateway accepts, and how to stop following their file. */
export interface ApiKeySource {
  keys: ApiKeys;
  close(): void;
}

/** How often the key file's metadata is checked for a change. */
const POLL_INTERVAL_MS = 1000;

/** One key a line; blank lines and lines starting with `#` are skipped, spaces around a key dropped. */
export function parseKeyFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function readKeyFile(path: string): string[] {
  return parseKeyFile(readFileSync(path, 'utf8'));
}

/** Why a file could not be read, without its content (which holds keys). */
function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.name : 'unknown error');
}

/**
 * Keys from `--api-key` and `--api-key-file`. The file is read again on SIGHUP and whenever it
 * changes (write it whole, or write a new file and rename it over the old one); a file that cannot
 * be read then leaves the keys in use as they were. Keys are never printed, only counted.
 * With a key file, a key is always required, even when the file holds none.
 */
export function loadApiKeys(
  flags: { apiKey?: string[]; apiKeyFile?: string },
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ApiKeySource {
  const fixed = flags.apiKey ?? [];
  const path = flags.apiKeyFile;
  if (path === undefined) return { keys: new ApiKeys(fixed), close: () => undefined };

  let fromFile: string[];
  try {
    fromFile = readKeyFile(path);
  } catch (error) {
    // A typed error: the command line prints its message alone, without a stack.
    throw new InvalidRequestError(`--api-key-file ${path} cannot be read (${reason(error)})`);
  }
  const keys = new ApiKeys([...fixed, ...fromFile], true);
  if (keys.size === 0) log(`rerankd: ${path} holds no key: every request but those to public paths is refused`);

  const reload = (why: string) => {
    try {
      const loaded = readKeyFile(path);
      keys.replace([...fixed, ...loaded]);
      log(`rerankd: ${why}: ${loaded.length} API keys loaded from ${path}`);
    } catch (error) {
      log(`rerankd: ${why}: ${path} cannot be read (${reason(error)}); the ${keys.size} keys in use stay in use`);
    }
  };
  const onSignal = () => reload('SIGHUP');
  const onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino && current.size === previous.size) return;
    reload('key file changed');
  };
  process.on('SIGHUP', onSignal);
  watchFile(path, { interval: POLL_INTERVAL_MS, persistent: false }, onChange);
  return {
    keys,
    close() {
      process.off('SIGHUP', onSignal);
      unwatchFile(path, onChange);
    },
  };
}
