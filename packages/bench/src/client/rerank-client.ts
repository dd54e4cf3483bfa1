import { UnavailableError } from '@rerankd/protocol';
import { DIALECT_SPECS, type Dialect, type DialectSpec } from './dialects';

export interface RerankClientOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8123. */
  url: string;
  dialect: Dialect;
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** The `model` field of each request; absent: the server's default model. */
  model?: string;
  /** Longest wait for one answer. Default 30 minutes: a benchmark measures slow answers too. */
  timeoutMs?: number;
}

/** A request with its body already serialized, so that timing covers the server, not JSON.stringify. */
export interface PreparedRequest {
  pairs: number;
  body: string;
}

/** The outcome of one request as a benchmark records it. */
export interface CallOutcome {
  ok: boolean;
  /** Send to last byte of the answer, parsed. */
  latencyMs: number;
  pairs: number;
  promptTokens: number | null;
  /** Why it failed: the HTTP status and message, or the network error. */
  error?: string;
}

/** A thin HTTP client of one rerank dialect, plus the server's /metrics and /v1/models. */
export class RerankClient {
  private readonly spec: DialectSpec;
  private readonly base: string;

  constructor(readonly options: RerankClientOptions) {
    this.spec = DIALECT_SPECS[options.dialect];
    this.base = options.url.replace(/\/+$/, '');
  }

  prepare(query: string, documents: readonly string[]): PreparedRequest {
    return { pairs: documents.length, body: JSON.stringify(this.spec.body(this.options.model, query, documents)) };
  }

  async send(request: PreparedRequest): Promise<CallOutcome> {
    const start = performance.now();
    const failed = (error: string): CallOutcome => ({ ok: false, latencyMs: performance.now() - start, pairs: request.pairs, promptTokens: null, error });
    let response: Response;
    try {
      response = await fetch(`${this.base}${this.spec.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.authHeader() },
        body: request.body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30 * 60_000),
      });
    } catch (error) {
      return failed(describe(error));
    }
    const text = await response.text().catch((error: unknown) => `(answer not read: ${describe(error)})`);
    if (!response.ok) return failed(`HTTP ${response.status}: ${errorMessage(text)}`);
    try {
      const answer = this.spec.parse(JSON.parse(text));
      if (answer.scores !== request.pairs) return failed(`${answer.scores} scores for ${request.pairs} documents`);
      return { ok: true, latencyMs: performance.now() - start, pairs: request.pairs, promptTokens: answer.promptTokens };
    } catch (error) {
      return failed(`unexpected answer: ${describe(error)}`);
    }
  }

  /** The server's Prometheus text, or null when it serves none. */
  async metrics(): Promise<string | null> {
    try {
      const response = await fetch(`${this.base}/metrics`, { headers: this.authHeader(), signal: AbortSignal.timeout(30_000) });
      return response.ok ? await response.text() : null;
    } catch {
      return null;
    }
  }

  /** The first model of GET /v1/models: what a request without `model` is served by. */
  async firstModel(): Promise<string | null> {
    let response: Response;
    try {
      response = await fetch(`${this.base}/v1/models`, { headers: this.authHeader(), signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new UnavailableError(`cannot reach ${this.base}: ${describe(error)}`);
    }
    if (!response.ok) return null;
    const list = (await response.json().catch(() => null)) as { data?: { id?: unknown }[] } | null;
    const id = list?.data?.[0]?.id;
    return typeof id === 'string' ? id : null;
  }

  private authHeader(): Record<string, string> {
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** The message of an error body (OpenAI-style `{error: {message}}`, TEI's `{error}`), or the start of the text. */
function errorMessage(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
  const { error, message } = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown };
  const found = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : (error ?? message);
  return typeof found === 'string' ? found : text.slice(0, 200);
}
