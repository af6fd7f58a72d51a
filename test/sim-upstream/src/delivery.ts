// Sending a reply: whole after its time, or streamed with its deltas paced, and failing on cue.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from './answer';
import type { Conversation } from './conversation';
import type { Dialect } from './dialect';

export interface Timing {
  /** Milliseconds before the first delta (or added to a whole answer's time). */
  ttftMs: number;
  /** Output tokens a second; 0 sends them all at once. */
  tokensPerSecond: number;
}

/**
 * Sends the reply as one JSON body once its time has passed; with `failAfter`, answers 500
 * after the time those deltas would take. True when the reply was sent.
 */
export async function deliverWhole(
  res: ServerResponse,
  dialect: Dialect,
  reply: Reply,
  conversation: Conversation,
  timing: Timing,
  failAfter: number | undefined,
): Promise<boolean> {
  const deltas = Math.min(failAfter ?? Infinity, reply.pieces.length);
  if (!(await paused(res, timing.ttftMs + interval(reply, timing) * deltas))) return false;
  if (failAfter !== undefined) {
    sendJson(res, 500, dialect.errorBody(500, `injected failure after ${failAfter} deltas`));
    return false;
  }
  sendJson(res, 200, dialect.responseBody(reply, conversation));
  return true;
}

/**
 * Streams the reply: the opening events at once, the first delta after the time to first
 * token, the others paced at the token rate; with `failAfter`, the connection drops after
 * that many deltas. True when the stream ended whole.
 */
export async function deliverStream(
  res: ServerResponse,
  dialect: Dialect,
  reply: Reply,
  conversation: Conversation,
  timing: Timing,
  failAfter: number | undefined,
): Promise<boolean> {
  const frames = dialect.streamFrames(reply, conversation);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(frames.head.join(''));
  for (const [i, delta] of frames.deltas.entries()) {
    if (!(await paused(res, i === 0 ? timing.ttftMs : interval(reply, timing)))) return false;
    if (i === failAfter) return dropped(res);
    res.write(delta);
  }
  if (frames.deltas.length === 0 && !(await paused(res, timing.ttftMs))) return false;
  if (failAfter !== undefined) return dropped(res);
  res.end(frames.tail.join(''));
  return true;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  retryAfterSeconds?: number,
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  res.writeHead(status, headers).end(JSON.stringify(body));
}

/** Waits `ms`; false when the client went away meanwhile. */
async function paused(res: ServerResponse, ms: number): Promise<boolean> {
  if (ms > 0) {
    const gone = new AbortController();
    const abort = () => gone.abort();
    res.once('close', abort);
    await sleep(ms, undefined, { signal: gone.signal }).catch(() => undefined);
    res.off('close', abort);
  }
  return !res.destroyed && !res.writableEnded;
}

/**
 * Drops the connection mid-answer, as a crashed upstream does: what was sent arrives (a reset
 * could discard it unread), then the connection closes before the response is complete.
 */
function dropped(res: ServerResponse): false {
  res.req.socket.end();
  return false;
}

/** Milliseconds between deltas, so the output tokens take their time at the set rate. */
function interval(reply: Reply, timing: Timing): number {
  if (timing.tokensPerSecond === 0 || reply.pieces.length === 0) return 0;
  return ((reply.usage.outputTokens / timing.tokensPerSecond) * 1000) / reply.pieces.length;
}
