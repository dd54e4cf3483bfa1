import type { Result } from 'ioredis';

/**
 * The queue's Lua scripts, for steps that must be atomic on the server. Each one states what
 * its KEYS and ARGV hold. ioredis defines them as commands on every queue connection.
 */

/**
 * Appends a work item to its lane unless the model's backlog is full. Acknowledged items are
 * deleted from the streams, so their lengths add up to the backlog: items waiting plus items
 * held by workers, in every lane.
 * KEYS[1] the item's work stream · KEYS[2] the model's other lane · ARGV[1] backlog limit
 * ARGV[2] work item (JSON)
 * Returns the new entry id, or nil when the backlog is at the limit.
 */
const submitWork = `
local backlog = 0
for _, stream in ipairs(KEYS) do backlog = backlog + redis.call('XLEN', stream) end
if backlog >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'item', ARGV[2])
`;

/**
 * Takes over items idle longer than the limit (their consumer stopped renewing its lease) and
 * reports how often each has now been delivered, which XAUTOCLAIM alone does not say.
 * KEYS[1] work stream · ARGV[1] group · ARGV[2] consumer · ARGV[3] min idle ms · ARGV[4] cursor
 * ARGV[5] count
 * Returns {next cursor, {{entry id, {field, value, …}, times delivered}, …}}.
 */
const reclaimWork = `
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local entries = {}
for _, entry in ipairs(claimed[2]) do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
  entries[#entries + 1] = {entry[1], entry[2], pending[1][4]}
end
return {claimed[1], entries}
`;

/**
 * Renews the lease on items this consumer still holds (resets their idle time without counting
 * a delivery), so nobody reclaims an item that is merely slow. Items another consumer has
 * taken over meanwhile are left alone.
 * KEYS[1] work stream · ARGV[1] group · ARGV[2] consumer · ARGV[3…] entry ids
 * Returns how many leases were renewed.
 */
const renewLeases = `
local renewed = 0
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if pending[1] and pending[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    renewed = renewed + 1
  end
end
return renewed
`;

export const QUEUE_SCRIPTS = {
  submitWork: { lua: submitWork, numberOfKeys: 2 },
  reclaimWork: { lua: reclaimWork, numberOfKeys: 1 },
  renewLeases: { lua: renewLeases, numberOfKeys: 1 },
};

declare module 'ioredis' {
  interface RedisCommander<Context> {
    submitWork(stream: string, otherLane: string, maxLength: number, item: string): Result<string | null, Context>;
    reclaimWork(
      stream: string,
      group: string,
      consumer: string,
      minIdleMs: number,
      cursor: string,
      count: number,
    ): Result<unknown, Context>;
    renewLeases(stream: string, group: string, consumer: string, ...ids: string[]): Result<number, Context>;
  }
}
