import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { send } from './http';

/** What became of one request. */
export type Outcome =
  /** 200 with every index once and every score right. */
  | 'ok'
  /** 503: the queue could not be reached; the client may retry. */
  | 'refused'
  /** No answer: the connection was refused or cut (a gateway that died). */
  | 'cut'
  /** 200 with an index twice. */
  | 'duplicated'
  /** 200 with an index missing or a score not the model's, or an error that is not a refusal. */
  | 'wrong';

export interface RequestRecord {
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  status: number;
  detail?: string;
}

export interface ChaosLoadOptions {
  /** Where requests go now (a restarted gateway listens elsewhere). */
  target: () => string;
  model: string;
  query: string;
  /** The documents requests pick from, and the model's score for each. */
  pool: string[];
  expected: number[];
  clients: number;
  maxDocuments: number;
}

/**
 * Clients that each send one rerank request after another, with documents drawn from a pool
 * whose scores are known, and check every answer: each index exactly once, each score the
 * model's for the document at that index. Runs until stopped.
 */
export class ChaosLoad {
  readonly records: RequestRecord[] = [];
  private running = true;
  private readonly lanes: Promise<void>[];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private sequence = 0;

  constructor(private readonly options: ChaosLoadOptions) {
    this.lanes = Array.from({ length: options.clients }, (_, lane) => this.lane(lane));
  }

  async stop(): Promise<RequestRecord[]> {
    this.running = false;
    await Promise.all(this.lanes);
    this.agent.destroy();
    return this.records;
  }

  /** Records of requests that started in [from, to). */
  between(from: number, to = Infinity): RequestRecord[] {
    return this.records.filter((r) => r.startedAt >= from && r.startedAt < to);
  }

  /** Resolves once a request that started at or after `since` has been answered correctly; its end time. */
  async firstOkSince(since: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = this.records.filter((r) => r.outcome === 'ok' && r.startedAt >= since);
      if (ok.length > 0) return Math.min(...ok.map((r) => r.endedAt));
      if (Date.now() > deadline) throw new Error(`no request answered within ${timeoutMs} ms of ${since}`);
      await sleep(20);
    }
  }

  private async lane(lane: number): Promise<void> {
    let seed = lane * 7919 + 17;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    while (this.running) {
      const n = 1 + Math.floor(random() * this.options.maxDocuments);
      const picks = Array.from({ length: n }, () => Math.floor(random() * this.options.pool.length));
      const id = `chaos-${lane}-${this.sequence++}`;
      const startedAt = Date.now();
      const answer = await send(
        this.options.target(),
        {
          method: 'POST',
          path: '/v1/rerank',
          headers: { 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ model: this.options.model, query: this.options.query, documents: picks.map((p) => this.options.pool[p]), return_documents: false }),
        },
        { agent: this.agent, timeoutMs: 120_000 },
      );
      const record: RequestRecord = { startedAt, endedAt: Date.now(), status: answer.status, ...this.judge(answer.status, answer.body, picks, id) };
      this.records.push(record);
      // A client whose gateway is gone tries again shortly, as a load balancer's client would.
      if (record.outcome === 'cut' || record.outcome === 'refused') await sleep(50);
    }
  }

  private judge(status: number, body: Buffer, picks: number[], id: string): Pick<RequestRecord, 'outcome' | 'detail'> {
    if (status === 0) return { outcome: 'cut' };
    if (status === 503) return { outcome: 'refused' };
    const text = body.toString('utf8');
    if (status !== 200) return { outcome: 'wrong', detail: `${status} ${text.slice(0, 200)}` };
    const answer = JSON.parse(text) as { id: string; results: Array<{ index: number; relevance_score: number }> };
    if (answer.id !== `rerank-${id}`) return { outcome: 'wrong', detail: `answer ${answer.id} to request ${id}` };
    const seen = new Set<number>();
    for (const { index, relevance_score } of answer.results) {
      if (seen.has(index)) return { outcome: 'duplicated', detail: `index ${index} twice` };
      seen.add(index);
      const doc = picks[index];
      if (doc === undefined) return { outcome: 'wrong', detail: `index ${index} of ${picks.length}` };
      if (Math.abs(relevance_score - (this.options.expected[doc] as number)) >= 1e-5) {
        return { outcome: 'wrong', detail: `index ${index}: ${relevance_score}, expected ${this.options.expected[doc]}` };
      }
    }
    if (seen.size !== picks.length) return { outcome: 'wrong', detail: `${seen.size} of ${picks.length} indices` };
    return { outcome: 'ok' };
  }
}

/** Counts of outcomes. */
export function tally(records: RequestRecord[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { ok: 0, refused: 0, cut: 0, duplicated: 0, wrong: 0 };
  for (const record of records) counts[record.outcome]++;
  return counts;
}
