import { Option } from 'commander';

/** The environment variable of a long flag: --max-model-len → RERANKD_MAX_MODEL_LEN. */
export function envName(flags: string): string {
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1];
  if (!long) throw new Error(`option "${flags}" has no long flag`);
  return `RERANKD_${long.replaceAll('-', '_').toUpperCase()}`;
}

/** An option that can also be set through its RERANKD_… environment variable. */
export function option(flags: string, description: string): Option {
  return new Option(flags, description).env(envName(flags));
}

export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

/** Repeatable flag; the environment variable may hold several values separated by commas. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}
