import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { RawAnswer } from './http';

/**
 * Generated requests for every endpoint and dialect, most of them hostile. Each says which
 * statuses a sound server may answer it with; a valid request must be answered 200.
 */
export interface HostileRequest {
  /** The kind of abuse, for the report and for failure messages. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Statuses a sound server answers with (0: it may close the connection instead). */
  allowed: readonly number[];
  /** More to check on an answer with an allowed status; returns what is wrong. */
  check?: (answer: RawAnswer) => string | undefined;
}

export const RERANK_PATHS = ['/v1/rerank', '/rerank', '/v2/rerank', '/v1/v1/rerank'] as const;
export const SCORE_PATHS = ['/v1/score', '/score'] as const;
const POST_PATHS = [...RERANK_PATHS, ...SCORE_PATHS];
const GET_PATHS = ['/v1/models', '/health', '/ready', '/version', '/metrics'] as const;
export const PUBLIC_PATHS = new Set(['/health', '/ready', '/metrics']);

/** Every field name some dialect reads: extra fields are drawn from outside this list. */
const KNOWN_FIELDS = new Set([
  'model', 'query', 'documents', 'top_n', 'return_documents', 'instruction', 'truncate', 'truncate_prompt_tokens',
  'max_tokens_per_doc', 'truncation_side', 'use_activation', 'texts', 'raw_scores', 'return_text',
  'truncation_direction', 'text_1', 'text_2', 'queries', 'data_1', 'data_2',
]);

// ---------------------------------------------------------------- texts

/** Single UTF-16 units that break naive text handling: lone surrogates, zero-width, bidi controls. */
const NASTY_UNITS = [
  '\ud800', '\udbff', '\udc00', '\udfff', // lone surrogates
  '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', // zero-width
  '\u202e', '\u202d', '\u202a', '\u2066', '\u2067', '\u2069', '\u200f', '\u061c', // right-to-left and bidi controls
  '\u0000', '\u0001', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029', '\n', '\r', '\t',
  '"', '\\', '/', '<', '>', '&', '%', '{', '}', '$', '`',
  'א', 'ب', '𝕏', '🙂', '👩‍👩‍👧', 'e\u0301', '\ufffd', '\uffff', '\u{10ffff}',
];

const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...NASTY_UNITS), maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.lorem({ maxCount: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 16 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u200b\u200b', '\u202eevil\u202c', 'null', '__proto__', 'constructor') },
);

/** Any JSON value, including shapes no field expects. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, {}, [], [[]], { text: 5 }, { __proto__: null }),
);

/** Extra fields a client should not send, named to trip up code that walks objects. */
const extraFields: fc.Arbitrary<Array<[string, unknown]>> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', ''),
      fc.string({ maxLength: 12 }),
    ).filter((key) => !KNOWN_FIELDS.has(key)),
    wrongValue,
  ),
  { maxLength: 3 },
);

/** A JSON text of `fields` in order; `__proto__` and friends become plain own keys, as JSON.parse reads them. */
function jsonObject(fields: Array<[string, unknown]>): string {
  return `{${fields.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
}

// ---------------------------------------------------------------- answers

function parsed(answer: RawAnswer): unknown {
  return JSON.parse(answer.body.toString('utf8'));
}

/** A rerank answer to `documents` documents with `topN`: each index once, in range, scores finite, named by the request id. */
function checkRerank(documents: number, topN: number | null | undefined): (answer: RawAnswer) => string | undefined {
  return (answer) => {
    if (answer.status !== 200) return undefined;
    const body = parsed(answer) as { id: string; results: Array<{ index: number; relevance_score: number }> };
    const want = topN ? Math.min(topN, documents) : documents;
    const indices = body.results.map((r) => r.index);
    if (body.results.length !== want) return `${body.results.length} results for ${documents} documents, top_n ${String(topN)}`;
    if (new Set(indices).size !== indices.length || indices.some((i) => i < 0 || i >= documents)) return `bad indices ${indices.join(',')}`;
    if (body.results.some((r) => !Number.isFinite(r.relevance_score))) return 'a score is not finite';
    const requestId = answer.headers['x-request-id'];
    if (body.id !== `rerank-${String(requestId)}`) return `id ${body.id} does not name request ${String(requestId)}`;
    return undefined;
  };
}

function checkTei(texts: number): (answer: RawAnswer) => string | undefined {
  return (answer) => {
    if (answer.status !== 200) return undefined;
    const body = parsed(answer) as Array<{ index: number; score: number }>;
    const indices = new Set(body.map((r) => r.index));
    return body.length === texts && indices.size === texts ? undefined : `TEI answer of ${body.length} for ${texts} texts`;
  };
}

function checkScore(pairs: number): (answer: RawAnswer) => string | undefined {
  return (answer) => {
    if (answer.status !== 200) return undefined;
    const body = parsed(answer) as { id: string; data: Array<{ index: number; score: number }> };
    if (body.id !== `score-${String(answer.headers['x-request-id'])}`) return `id ${body.id} does not name the request`;
    return body.data.length === pairs && body.data.every((d, i) => d.index === i && Number.isFinite(d.score))
      ? undefined
      : `score answer of ${body.data.length} for ${pairs} pairs`;
  };
}

// ---------------------------------------------------------------- request parts

interface Auth {
  headers: Record<string, string>;
  valid: boolean;
}

function authArbitrary(key: string): fc.Arbitrary<Auth> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant({ headers: { authorization: `Bearer ${key}` }, valid: true }) },
    { weight: 2, arbitrary: fc.constant({ headers: { 'x-api-key': key }, valid: true }) },
    { weight: 1, arbitrary: fc.constant({ headers: { authorization: `bearer   ${key}  ` }, valid: true }) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constant({}),
        fc.constant({ authorization: 'Bearer' }),
        fc.constant({ authorization: `Basic ${Buffer.from(`user:${key}`).toString('base64')}` }),
        fc.constant({ authorization: `Bearer ${key.slice(0, -1)}` }),
        fc.constant({ authorization: `Bearer ${key}x` }),
        fc.constant({ 'x-api-key': key.toUpperCase() }),
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 200 }).map((junk) => ({ authorization: `Bearer ${junk.replace(/[^\x21-\x7e]/g, 'a')}` })),
        fc.constant({ authorization: `Bearer ${'k'.repeat(8000)}` }),
      ).map((headers: Record<string, string>) => ({ headers, valid: false })),
    },
  );
}

/** Well-formed ids are echoed; anything else is replaced by one of the server's. */
const requestIdArbitrary: fc.Arbitrary<{ header?: string; echoed: boolean }> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ echoed: false }) },
  { weight: 2, arbitrary: fc.uuid().map((id) => ({ header: id, echoed: true })) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:+=/-]{1,128}$/).map((id) => ({ header: id, echoed: true })) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constant('x'.repeat(129)),
      fc.constant('a b'),
      fc.constant('id;drop'),
      fc.constant('<script>'),
      fc.constant('%0d%0aSet-Cookie:x'),
      fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    ).map((header) => ({ header, echoed: /^[A-Za-z0-9._:+=/-]{1,128}$/.test(header) })),
  },
);

const contentTypeArbitrary: fc.Arbitrary<{ header?: string; readable: boolean }> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ header: 'application/json', readable: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      { readable: true },
      { header: 'text/plain', readable: true },
      { header: 'application/x-www-form-urlencoded', readable: true },
      { header: 'multipart/form-data; boundary=xyz', readable: true },
      { header: 'application/json; charset=utf-8', readable: true },
      { header: 'application/xml', readable: true },
      { header: 'image/png', readable: true },
      { header: '*/*', readable: true },
      { header: 'application/json; charset=latin1', readable: false },
      { header: 'application/json; charset=utf-16', readable: false },
      { header: 'application/json; charset=koi8-r', readable: false },
      { header: 'garbage;;;=', readable: false },
    ),
  },
);

interface BodyCase {
  label: string;
  text: string;
  /** When the body is valid for its path: what a 200 must hold. */
  valid?: (answer: RawAnswer) => string | undefined;
  /** 404 rather than 400: a well-formed body naming an unknown model. */
  notFound?: boolean;
}

// ---------------------------------------------------------------- bodies per dialect

function rerankBodies(model: string): fc.Arbitrary<BodyCase> {
  const document = fc.oneof({ weight: 4, arbitrary: hostileText }, { weight: 1, arbitrary: hostileText.map((text) => ({ text })) });
  const valid = fc
    .record(
      {
        model: fc.constantFrom(model, null),
        query: hostileText,
        documents: fc.array(document, { minLength: 1, maxLength: 6 }),
        top_n: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
        return_documents: fc.option(fc.boolean(), { nil: null }),
        instruction: fc.option(hostileText, { nil: null }),
        truncate: fc.option(fc.boolean(), { nil: null }),
        use_activation: fc.option(fc.boolean(), { nil: null }),
        truncation_side: fc.constantFrom('right', null),
        max_tokens_per_doc: fc.option(fc.nat(4096), { nil: null }),
      },
      { requiredKeys: ['query', 'documents'] },
    )
    .chain((body) => extraFields.map((extras) => ({ body, extras })))
    .map(({ body, extras }): BodyCase => ({
      label: extras.length > 0 ? 'rerank: valid with extra fields' : 'rerank: valid',
      text: jsonObject([...Object.entries(body), ...extras]),
      valid: checkRerank(body.documents.length, body.top_n),
    }));

  const base = { model, query: 'q', documents: ['a', 'b'] };
  const invalid: fc.Arbitrary<BodyCase> = fc.oneof(
    fc.constantFrom<BodyCase>(
      { label: 'rerank: no query', text: JSON.stringify({ documents: ['a'] }) },
      { label: 'rerank: no documents', text: JSON.stringify({ query: 'q' }) },
      { label: 'rerank: empty documents', text: JSON.stringify({ query: 'q', documents: [] }) },
      { label: 'rerank: empty object', text: '{}' },
      { label: 'rerank: array body', text: JSON.stringify([base]) },
      { label: 'rerank: negative top_n', text: JSON.stringify({ ...base, top_n: -1 }) },
      { label: 'rerank: fractional top_n', text: JSON.stringify({ ...base, top_n: 1.5 }) },
      { label: 'rerank: top_n out of range', text: `{"query":"q","documents":["a"],"top_n":1e400}` },
      { label: 'rerank: top_n beyond 2^53', text: `{"query":"q","documents":["a"],"top_n":-9007199254740993}` },
      { label: 'rerank: left truncation', text: JSON.stringify({ ...base, truncation_side: 'left' }) },
      { label: 'rerank: truncate as a string', text: JSON.stringify({ ...base, truncate: 'yes' }) },
      { label: 'rerank: 1001 documents', text: JSON.stringify({ query: 'q', documents: Array.from({ length: 1001 }, (_, i) => `d${i}`) }) },
      { label: 'rerank: __proto__ holding the fields', text: `{"__proto__":{"query":"q","documents":["a"]}}` },
      { label: 'rerank: constructor holding the fields', text: `{"constructor":{"prototype":{"query":"q"}},"documents":["a"]}` },
    ),
    fc.record({ field: fc.constantFrom('query', 'documents', 'top_n', 'return_documents', 'instruction', 'truncate', 'model', 'use_activation'), value: wrongValue })
      .filter(({ field, value }) => !fieldAccepts(field, value))
      .map(({ field, value }) => ({ label: `rerank: wrong type of ${field}`, text: jsonObject([...Object.entries(base), [field, value]]) })),
    fc.array(wrongValue.filter((v) => typeof v !== 'string' && !(isObject(v) && typeof v.text === 'string')), { minLength: 1, maxLength: 3 }).map((bad) => ({
      label: 'rerank: a document of the wrong type',
      text: JSON.stringify({ query: 'q', documents: ['ok', ...bad] }),
    })),
  );
  const unknownModel = fc.string({ minLength: 1, maxLength: 40 }).filter((name) => name !== model).map((name) => ({
    label: 'rerank: unknown model',
    text: JSON.stringify({ ...base, model: name }),
    notFound: true,
  }));
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 4, arbitrary: invalid }, { weight: 1, arbitrary: unknownModel });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a rerank field takes `value` (then a "wrong type" case would be valid). */
function fieldAccepts(field: string, value: unknown): boolean {
  switch (field) {
    case 'query':
      return typeof value === 'string';
    case 'documents':
      return Array.isArray(value) && value.length > 0 && value.every((d) => typeof d === 'string' || (isObject(d) && typeof d.text === 'string'));
    case 'top_n':
      return value === null || (Number.isInteger(value) && (value as number) >= 0);
    case 'model':
      return value === null || typeof value === 'string'; // a string is a name: 200 or 404
    default:
      return value === null || typeof value === (field === 'instruction' ? 'string' : 'boolean');
  }
}

function teiBodies(): fc.Arbitrary<BodyCase> {
  const valid = fc
    .record(
      {
        query: hostileText,
        texts: fc.array(hostileText, { minLength: 1, maxLength: 6 }),
        truncate: fc.option(fc.boolean(), { nil: null }),
        raw_scores: fc.option(fc.boolean(), { nil: null }),
        return_text: fc.option(fc.boolean(), { nil: null }),
        truncation_direction: fc.constantFrom('right', 'Right', null),
      },
      { requiredKeys: ['query', 'texts'] },
    )
    .map((body): BodyCase => ({ label: 'tei: valid', text: JSON.stringify(body), valid: checkTei(body.texts.length) }));
  const invalid = fc.oneof(
    fc.constantFrom<BodyCase>(
      { label: 'tei: empty texts', text: JSON.stringify({ query: 'q', texts: [] }) },
      { label: 'tei: texts of objects', text: JSON.stringify({ query: 'q', texts: [{ text: 'a' }] }) },
      { label: 'tei: left truncation', text: JSON.stringify({ query: 'q', texts: ['a'], truncation_direction: 'Left' }) },
      { label: 'tei: no query', text: JSON.stringify({ texts: ['a'] }) },
    ),
    wrongValue.filter((v) => !Array.isArray(v) || v.length === 0 || v.some((t) => typeof t !== 'string')).map((texts) => ({
      label: 'tei: wrong type of texts',
      text: jsonObject([['query', 'q'], ['texts', texts]]),
    })),
  );
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: invalid });
}

function scoreBodies(model: string): fc.Arbitrary<BodyCase> {
  const names = fc.constantFrom<[string, string]>(['text_1', 'text_2'], ['queries', 'documents'], ['data_1', 'data_2']);
  const side = fc.oneof(hostileText, fc.array(hostileText, { minLength: 1, maxLength: 5 }));
  const valid = fc
    .record({ names, left: side, right: side, model: fc.constantFrom(model, null) })
    .filter(({ left, right }) => typeof left === 'string' || left.length === 1 || (Array.isArray(right) && left.length === right.length))
    .map(({ names: [l, r], left, right, model: m }): BodyCase => {
      const pairs = typeof right === 'string' ? 1 : right.length;
      return { label: 'score: valid', text: JSON.stringify({ model: m, [l]: left, [r]: right }), valid: checkScore(pairs) };
    });
  const invalid = fc.oneof(
    fc.constantFrom<BodyCase>(
      { label: 'score: no sides', text: JSON.stringify({ model }) },
      { label: 'score: only text_1', text: JSON.stringify({ text_1: 'q' }) },
      { label: 'score: empty text_2', text: JSON.stringify({ text_1: 'q', text_2: [] }) },
      { label: 'score: empty text_1 list', text: JSON.stringify({ text_1: [], text_2: ['a'] }) },
      { label: 'score: 2 against 3', text: JSON.stringify({ text_1: ['a', 'b'], text_2: ['a', 'b', 'c'] }) },
    ),
    fc.record({ names, value: wrongValue }).filter(({ value }) => value !== null && typeof value !== 'string' && !(Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')))
      .map(({ names: [l, r], value }) => ({ label: 'score: wrong type of a side', text: jsonObject([[l, value], [r, 'doc']]) })),
  );
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: invalid });
}

/** Bodies that are not JSON, or JSON no parser should be asked to build. */
const brokenJson: fc.Arbitrary<BodyCase> = fc.oneof(
  fc.constantFrom<BodyCase>(
    { label: 'json: empty body', text: '' },
    { label: 'json: truncated', text: '{"query": "q", "documents": ["a"' },
    { label: 'json: trailing comma', text: '{"query":"q","documents":["a"],}' },
    { label: 'json: single quotes', text: "{'query':'q'}" },
    { label: 'json: NaN', text: '{"query":"q","documents":["a"],"top_n":NaN}' },
    { label: 'json: bare string', text: '"just a string"' },
    { label: 'json: bare number', text: '42' },
    { label: 'json: null', text: 'null' },
    { label: 'json: trailing garbage', text: '{"query":"q","documents":["a"]} trailing' },
    { label: 'json: two objects', text: '{}{}' },
    { label: 'json: comment', text: '/* hi */ {"query":"q","documents":["a"]}' },
    { label: 'json: unterminated string', text: '{"query":"q' },
    { label: 'json: bad escape', text: '{"query":"\\x41","documents":["a"]}' },
    { label: 'json: deep nesting (50,000 levels)', text: `{"query":"q","documents":${'['.repeat(50_000)}${']'.repeat(50_000)}}` },
    { label: 'json: deep nesting of objects', text: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}` },
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }).filter((s) => !isJson(s)).map((text) => ({ label: 'json: random text', text })),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ label: 'json: random bytes', text: Buffer.from(bytes).toString('latin1') })),
);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- assembling requests

export interface HostileRequestOptions {
  key: string;
  model: string;
  /** The server's --max-body-bytes. */
  maxBodyBytes: number;
}

/** The generated mix: POST bodies per dialect, probes and listings, wrong paths and methods, encodings, odd headers. */
export function hostileRequests(options: HostileRequestOptions): fc.Arbitrary<HostileRequest> {
  const auth = authArbitrary(options.key);
  const rerankPost = fc.record({ path: fc.constantFrom(...RERANK_PATHS), body: rerankBodies(options.model) });
  const teiPost = fc.record({ path: fc.constant('/rerank'), body: teiBodies() });
  const scorePost = fc.record({ path: fc.constantFrom(...SCORE_PATHS), body: scoreBodies(options.model) });
  const brokenPost = fc.record({ path: fc.constantFrom(...POST_PATHS), body: brokenJson });

  const posts = fc
    .record({
      target: fc.oneof({ weight: 5, arbitrary: rerankPost }, { weight: 2, arbitrary: teiPost }, { weight: 2, arbitrary: scorePost }, { weight: 2, arbitrary: brokenPost }),
      auth,
      requestId: requestIdArbitrary,
      contentType: contentTypeArbitrary,
      gzip: fc.constantFrom(false, false, false, true),
    })
    .map(({ target, auth: a, requestId, contentType, gzip }): HostileRequest => {
      const raw = Buffer.from(target.body.text, 'utf8');
      const headers: Record<string, string> = { ...a.headers };
      if (contentType.header !== undefined) headers['content-type'] = contentType.header;
      if (requestId.header !== undefined) headers['x-request-id'] = requestId.header;
      if (gzip) headers['content-encoding'] = 'gzip';
      const body = gzip ? gzipSync(raw) : raw;
      let allowed: number[];
      let label = target.body.label;
      if (!a.valid) {
        allowed = [401];
        label = `auth: refused (${label})`;
      } else if (!contentType.readable) {
        // A charset that is not UTF-8 is refused; one that fails to parse leaves the body read as UTF-8.
        allowed = [400, ...(target.body.valid ? [200] : []), ...(target.body.notFound ? [404] : [])];
        label = `content-type: ${contentType.header} (${label})`;
      } else if (target.body.valid) {
        allowed = [200];
      } else {
        allowed = [target.body.notFound ? 404 : 400];
      }
      return {
        label,
        method: 'POST',
        path: target.path,
        headers,
        body,
        allowed,
        check: combine(requestIdCheck(requestId.header, requestId.echoed), target.body.valid),
      };
    });

  const gets = fc
    .record({
      path: fc.constantFrom(...GET_PATHS),
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD'),
      query: fc.oneof(fc.constant(''), fc.webQueryParameters().map((q) => `?${q}`)),
      auth,
      requestId: requestIdArbitrary,
    })
    .map(({ path, method, query, auth: a, requestId }): HostileRequest => {
      const open = PUBLIC_PATHS.has(path) || a.valid;
      const headers: Record<string, string> = { ...a.headers, ...(requestId.header !== undefined ? { 'x-request-id': requestId.header } : {}) };
      return {
        label: open ? `get: ${path}` : `auth: refused (get ${path})`,
        method,
        path: path + query,
        headers,
        allowed: open ? [200] : [401],
        check: requestIdCheck(requestId.header, requestId.echoed),
      };
    });

  const wrongMethods = fc
    .record({
      path: fc.constantFrom(...POST_PATHS, ...GET_PATHS),
      method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'POST', 'OPTIONS', 'TRACE'),
      auth,
      body: fc.constantFrom(undefined, '{"query":"q","documents":["a"]}'),
    })
    .filter(({ path, method }) => ((POST_PATHS as readonly string[]).includes(path) ? method !== 'POST' : method !== 'GET'))
    .map(({ path, method, auth: a, body }): HostileRequest => {
      const open = PUBLIC_PATHS.has(path) || a.valid;
      // Express answers OPTIONS itself with the methods a path has; TRACE requests carry no body.
      const allowed = !open ? [401] : method === 'OPTIONS' ? [200, 204] : [404];
      return {
        label: open ? `method: ${method} ${path}` : `auth: refused (${method} ${path})`,
        method,
        path,
        headers: { ...a.headers, ...(body !== undefined && method !== 'TRACE' ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined && method !== 'TRACE' ? { body: Buffer.from(body) } : {}),
        allowed,
      };
    });

  const unknownPaths = fc
    .record({
      path: fc.oneof(
        fc.webPath().map((p) => `/nope${p}`),
        fc.constantFrom(
          '/v3/rerank', '/v1/rerankx', '/v1/models/x', '/v1//rerank', '/v1/rerank%00', '/..%2f..%2fetc%2fpasswd',
          '/%2e%2e/%2e%2e/etc/passwd', '/v1/rerank/../../etc/passwd', '/metrics/x', '/health/../v1/rerank%2F', '/admin',
          '/.env', '/v1/score;x', `/${'a'.repeat(6000)}`, '/%ZZ', '/%', '/%c0%ae%c0%ae/',
        ),
      ),
      method: fc.constantFrom('GET', 'POST'),
      auth,
    })
    .map(({ path, method, auth: a }): HostileRequest => ({
      label: a.valid ? 'path: unknown' : 'auth: refused (unknown path)',
      method,
      path,
      headers: a.headers,
      // Express answers a malformed percent-encoding with 400 before routing.
      allowed: a.valid ? [404, 400] : [401],
    }));

  const encodings = fc
    .record({ path: fc.constantFrom(...RERANK_PATHS), encoding: fc.constantFrom('br', 'deflate', 'gzip-corrupt', 'compress', 'identity, gzip', 'x-unknown') })
    .map(({ path, encoding }): HostileRequest => {
      const json = JSON.stringify({ query: 'q', documents: ['a', 'b'] });
      let body = Buffer.from(json);
      let allowed = [400];
      if (encoding === 'gzip-corrupt') body = Buffer.concat([gzipSync(body).subarray(0, 12), Buffer.from('not gzip')]);
      if (encoding === 'br' || encoding === 'deflate') {
        allowed = [200, 400];
      }
      return {
        label: `encoding: ${encoding}`,
        method: 'POST',
        path,
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json', 'content-encoding': encoding === 'gzip-corrupt' ? 'gzip' : encoding },
        body,
        allowed,
      };
    });

  return fc.oneof(
    { weight: 60, arbitrary: posts },
    { weight: 12, arbitrary: gets },
    { weight: 8, arbitrary: wrongMethods },
    { weight: 8, arbitrary: unknownPaths },
    { weight: 2, arbitrary: encodings },
  );
}

/** Large abuse, sent a few times each whatever the generator draws. */
export function heavyRequests(options: HostileRequestOptions): HostileRequest[] {
  const auth = { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' };
  const fiveMb = 'word '.repeat(1024 * 1024); // 5 MiB of text in one document
  const overLimit = Buffer.alloc(options.maxBodyBytes + 1024, ' ');
  Buffer.from('{"query":"q","documents":["').copy(overLimit);
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, ' ')); // 64 MiB of spaces in 64 KiB
  const many = JSON.stringify({ query: 'q', documents: Array.from({ length: 100_000 }, (_, i) => `document ${i}`) });
  const hugeHeader = { ...auth, 'x-padding': 'p'.repeat(20_000) };
  return [
    { label: 'heavy: one 5 MiB document', method: 'POST', path: '/v1/rerank', headers: auth, body: Buffer.from(JSON.stringify({ query: 'q', documents: [fiveMb, 'short'] })), allowed: [200], check: checkRerank(2, null) },
    { label: 'heavy: a 5 MiB query', method: 'POST', path: '/v2/rerank', headers: auth, body: Buffer.from(JSON.stringify({ query: fiveMb, documents: ['a'] })), allowed: [200] },
    { label: 'heavy: a 5 MiB document, truncate false', method: 'POST', path: '/v1/rerank', headers: auth, body: Buffer.from(JSON.stringify({ query: 'q', documents: [fiveMb], truncate: false })), allowed: [400] },
    { label: 'heavy: 5 MiB of TEI text', method: 'POST', path: '/rerank', headers: auth, body: Buffer.from(JSON.stringify({ query: 'q', texts: [fiveMb] })), allowed: [200] },
    { label: 'heavy: 100,000 documents', method: 'POST', path: '/v1/rerank', headers: auth, body: Buffer.from(many), allowed: [400] },
    { label: 'heavy: 100,000 score pairs', method: 'POST', path: '/v1/score', headers: auth, body: Buffer.from(JSON.stringify({ text_1: 'q', text_2: Array.from({ length: 100_000 }, (_, i) => `d${i}`) })), allowed: [400] },
    { label: 'heavy: body over the limit', method: 'POST', path: '/v1/rerank', headers: auth, body: overLimit, allowed: [413, 0] },
    { label: 'heavy: gzip bomb', method: 'POST', path: '/v1/rerank', headers: { ...auth, 'content-encoding': 'gzip' }, body: bomb, allowed: [413] },
    { label: 'heavy: 20 KB header', method: 'POST', path: '/v1/rerank', headers: hugeHeader, body: Buffer.from('{}'), allowed: [431, 0] },
  ];
}

function requestIdCheck(offered: string | undefined, echoed: boolean): (answer: RawAnswer) => string | undefined {
  return (answer) => {
    const id = answer.headers['x-request-id'];
    if (typeof id !== 'string' || !/^[A-Za-z0-9._:+=/-]{1,128}$/.test(id)) return `bad X-Request-Id in the answer: ${String(id)}`;
    if (echoed && id !== offered) return `X-Request-Id ${offered} not echoed (got ${id})`;
    if (!echoed && offered !== undefined && id === offered) return `malformed X-Request-Id ${JSON.stringify(offered)} echoed`;
    return undefined;
  };
}

function combine(...checks: Array<((answer: RawAnswer) => string | undefined) | undefined>): (answer: RawAnswer) => string | undefined {
  return (answer) => {
    for (const check of checks) {
      const problem = check?.(answer);
      if (problem) return problem;
    }
    return undefined;
  };
}
