import { z } from 'zod';

/** Typed views of the stream replies ioredis returns as untyped nested arrays. */

export interface StreamEntry {
  id: string;
  fields: Map<string, string>;
}

const RawEntrySchema = z.tuple([z.string(), z.array(z.string())]);
const ReadReplySchema = z.array(z.tuple([z.string(), z.array(RawEntrySchema)])).nullable();
const ReclaimReplySchema = z.tuple([z.string(), z.array(z.tuple([z.string(), z.array(z.string()), z.number()]))]);

function fieldMap(flat: string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  return fields;
}

/** The entries of an XREAD / XREADGROUP reply for a single stream (none when it timed out). */
export function entriesOfRead(reply: unknown): StreamEntry[] {
  const streams = ReadReplySchema.parse(reply) ?? [];
  return streams.flatMap(([, entries]) => entries.map(([id, flat]) => ({ id, fields: fieldMap(flat) })));
}

/** The reply of the reclaimWork script: where to go on, and the entries taken over. */
export function entriesOfReclaim(reply: unknown): { cursor: string; entries: Array<StreamEntry & { deliveries: number }> } {
  const [cursor, entries] = ReclaimReplySchema.parse(reply);
  return { cursor, entries: entries.map(([id, flat, deliveries]) => ({ id, fields: fieldMap(flat), deliveries })) };
}

/** A JSON field of an entry, checked against its schema; undefined when missing or malformed. */
export function decodeField<T>(schema: z.ZodType<T>, raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(raw));
  } catch {
    return undefined;
  }
}
