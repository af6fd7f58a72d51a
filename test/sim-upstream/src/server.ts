// The sim upstream: an HTTP server on 127.0.0.1 that answers as OpenAI (`/v1/chat/completions`)
// and Anthropic (`/v1/messages`) do, with set timing, seeded faults and recorded answers.
import { type IncomingHttpHeaders, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicDialect } from './anthropic';
import { type AnswerContext, type Reply, ReplayMissError, answer } from './answer';
import { type Conversation, InvalidRequestError, isRecord } from './conversation';
import { deliverStream, deliverWhole, sendJson } from './delivery';
import type { Dialect } from './dialect';
import { DirectiveError, directivesFor } from './directives';
import { type Fault, type FaultPlan, FaultSchedule, faultCounterKey, validatePlan } from './faults';
import { openaiDialect } from './openai';
import { DEFAULT_REPLAY_FILE, DEFAULT_REPLAY_MODELS, Replay } from './replay';
import { digestOf } from './random';
import { tokensOf } from './tokens';

export interface SimUpstreamOptions {
  /** The port to listen on; a free one when absent or 0. */
  port?: number;
  /** Milliseconds before the first delta of a stream, and added to a whole answer's time. */
  ttftMs?: number;
  /** Output tokens a second, streamed or not; 0 (the default) answers all at once. */
  tokensPerSecond?: number;
  /** The API key expected: `Authorization: Bearer <secret>` or `x-api-key: <secret>`. */
  secret?: string;
  /** Faults drawn at random for the requests, in arrival order. */
  faults?: FaultPlan;
  /** The seed of the fault plan's draws (default 1). */
  seed?: number;
  /** The JSONL file replay models answer from (default: `../shared/data/routing/gsm8k.jsonl`). */
  replayFile?: string;
  /** Replay model name → the record field with its response (default `{weak, strong}`). */
  replayModels?: Record<string, string>;
}

/** The options `configure` changes on a running server. */
export type SimUpstreamSettings = Pick<
  SimUpstreamOptions,
  'ttftMs' | 'tokensPerSecond' | 'secret' | 'faults' | 'seed'
>;

export interface SimUpstreamCounters {
  /** Every HTTP request received, faulted and refused ones included. */
  requests: number;
  /** Requests by URL path, e.g. `/v1/chat/completions`. */
  byPath: Record<string, number>;
  /** Requests by the body's `model`. */
  byModel: Record<string, number>;
  /** Faults injected, by kind: `http<status>`, `reset`, `timeout` (`[sim:hang]` too), `failAfter`. */
  faults: Record<string, number>;
  /** Requests refused with 401 for a missing or wrong secret. */
  unauthorized: number;
  /** Requests answered whole with a 200. */
  answered: number;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

export interface SimUpstream {
  /** `http://127.0.0.1:<port>`: OpenAI's base URL is `${url}/v1`, Anthropic's is `url`. */
  readonly url: string;
  readonly port: number;
  /** A copy of the counters since start or the last reset. */
  counters(): SimUpstreamCounters;
  /** The last request received, headers and body as sent. */
  lastRequest(): RecordedRequest | undefined;
  /** Changes timing, secret or faults; a new plan or seed restarts the draws. */
  configure(settings: SimUpstreamSettings): void;
  /** Zeroes the counters, restarts the fault draws from the seed, forgets fail-first counts and the prompt cache. */
  reset(): void;
  /** Closes the server and every connection, open ones included. */
  stop(): Promise<void>;
}

const DIALECTS = new Map<string, Dialect>(
  [openaiDialect, anthropicDialect].map((dialect) => [dialect.path, dialect]),
);

export async function startSimUpstream(options: SimUpstreamOptions = {}): Promise<SimUpstream> {
  const settings: SimUpstreamSettings = {};
  let schedule: FaultSchedule | undefined;
  const configure = (changes: SimUpstreamSettings) => {
    for (const name of ['ttftMs', 'tokensPerSecond', 'seed'] as const) {
      const value = changes[name];
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new Error(`${name} must be a number of at least 0`);
      }
    }
    if (changes.faults) validatePlan(changes.faults);
    Object.assign(settings, changes);
    if ('faults' in changes || 'seed' in changes) restartDraws();
  };
  const restartDraws = () => {
    schedule = settings.faults ? new FaultSchedule(settings.faults, settings.seed ?? 1) : undefined;
  };
  configure({
    ttftMs: options.ttftMs,
    tokensPerSecond: options.tokensPerSecond,
    secret: options.secret,
    faults: options.faults,
    seed: options.seed,
  });

  let counters = emptyCounters();
  let failFirstSeen = new Map<string, number>();
  let last: RecordedRequest | undefined;
  const replay = new Replay(options.replayFile ?? DEFAULT_REPLAY_FILE);
  const replayModels = options.replayModels ?? DEFAULT_REPLAY_MODELS;
  // Each provider has its own prompt cache.
  const contexts = new Map<string, AnswerContext>(
    [...DIALECTS.keys()].map((path) => [path, { replay, replayModels, answered: new Set() }]),
  );
  // The encoding's tables load on first use: loaded now, the first request is not the slower.
  await tokensOf('');

  const countFault = (fault: Fault) => {
    const key = faultCounterKey(fault);
    counters.faults[key] = (counters.faults[key] ?? 0) + 1;
  };

  /** The fault a request's directives ask for; fail-first counts the request. */
  const directedFault = (path: string, conversation: Conversation): Fault | undefined => {
    for (const directive of directivesFor(conversation.lastUserText, conversation.model)) {
      switch (directive.kind) {
        case 'status':
        case 'failAfter':
        case 'reset':
          return directive;
        case 'hang':
          return { kind: 'timeout' };
        case 'failFirst': {
          const key = digestOf(JSON.stringify([path, conversation.turns]));
          const seen = (failFirstSeen.get(key) ?? 0) + 1;
          failFirstSeen.set(key, seen);
          if (seen <= directive.count) {
            return {
              kind: 'status',
              status: directive.status,
              retryAfterSeconds: directive.retryAfterSeconds,
            };
          }
        }
      }
    }
    return undefined;
  };

  const handle = async (dialect: Dialect, path: string, raw: string, res: ServerResponse) => {
    const fail = (status: number, message: string, code?: string, retryAfterSeconds?: number) =>
      sendJson(res, status, dialect.errorBody(status, message, code), retryAfterSeconds);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      last = { path, headers: res.req.headers, body: raw };
      return fail(400, 'the request body is not valid JSON');
    }
    last = { path, headers: res.req.headers, body };
    const model = isRecord(body) && typeof body.model === 'string' ? body.model : undefined;
    if (model !== undefined) counters.byModel[model] = (counters.byModel[model] ?? 0) + 1;

    if (settings.secret !== undefined && !dialect.authorized(res.req.headers, settings.secret)) {
      counters.unauthorized += 1;
      return fail(401, 'invalid API key');
    }
    const planned = schedule?.next();
    let conversation: Conversation;
    let fault: Fault | undefined;
    try {
      conversation = dialect.parse(body);
      fault = planned ?? directedFault(path, conversation);
    } catch (error) {
      if (error instanceof InvalidRequestError || error instanceof DirectiveError) {
        return fail(400, error.message);
      }
      throw error;
    }
    if (fault) countFault(fault);
    if (fault?.kind === 'status') {
      return fail(
        fault.status,
        `injected HTTP ${fault.status}`,
        undefined,
        fault.retryAfterSeconds,
      );
    }
    if (fault?.kind === 'reset') return res.req.socket.resetAndDestroy();
    // A timeout holds the request open: the client gives up, or stop() closes it.
    if (fault?.kind === 'timeout') return;

    let reply: Reply;
    try {
      const directives = directivesFor(conversation.lastUserText, conversation.model);
      const tool = directives.find((directive) => directive.kind === 'tool');
      const scripted = directives.find((directive) => directive.kind === 'reply');
      reply = await answer(conversation, contexts.get(path)!, tool?.name, scripted?.text);
    } catch (error) {
      if (error instanceof ReplayMissError) return fail(404, error.message, 'prompt_not_found');
      if (error instanceof InvalidRequestError) return fail(400, error.message);
      throw error;
    }
    const failAfter = fault?.kind === 'failAfter' ? fault.deltas : undefined;
    const timing = { ttftMs: settings.ttftMs ?? 0, tokensPerSecond: settings.tokensPerSecond ?? 0 };
    const deliver = conversation.stream ? deliverStream : deliverWhole;
    const delivered = await deliver(res, dialect, reply, conversation, timing, failAfter);
    if (delivered) counters.answered += 1;
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    counters.requests += 1;
    counters.byPath[path] = (counters.byPath[path] ?? 0) + 1;
    const dialect = DIALECTS.get(path);
    if (!dialect || req.method !== 'POST') {
      req.resume();
      last = { path, headers: req.headers, body: undefined };
      const message = `no route for ${req.method} ${path}`;
      return sendJson(res, 404, openaiDialect.errorBody(404, message));
    }
    const chunks: Buffer[] = [];
    // A client that goes away mid-body leaves nothing to answer.
    req.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(dialect, path, Buffer.concat(chunks).toString('utf8'), res).catch((error: Error) => {
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, dialect.errorBody(500, error.message));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counters: () => structuredClone(counters),
    lastRequest: () => last,
    configure,
    reset() {
      counters = emptyCounters();
      failFirstSeen = new Map();
      for (const context of contexts.values()) context.answered.clear();
      restartDraws();
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function emptyCounters(): SimUpstreamCounters {
  return { requests: 0, byPath: {}, byModel: {}, faults: {}, unauthorized: 0, answered: 0 };
}
