import { hostname } from 'node:os';

/** Unique per process on a host, readable in metrics and logs. */
export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}`;
}
