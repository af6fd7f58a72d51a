// Directives a test writes into the last user message to steer one request:
// `[sim:<name>(=<value>)(,<key>=<value>)*(@<model>)]`, e.g. `[sim:status=429,retry-after=1@m]`.
// A directive scoped with `@<model>` applies only to requests for that model.

export type Directive =
  /** `[sim:status=<code>(,retry-after=<s>)]`: answer with that HTTP error. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** `[sim:reset]`: destroy the connection without a response. */
  | { kind: 'reset' }
  /** `[sim:hang]`: never answer; the client has to give up. */
  | { kind: 'hang' }
  /** `[sim:fail-after=<n>]`: a stream sends n deltas then drops; a non-stream answers 500. */
  | { kind: 'failAfter'; deltas: number }
  /** `[sim:fail-first=<n>(,status=<code>)(,retry-after=<s>)]`: the first n identical requests fail. */
  | { kind: 'failFirst'; count: number; status: number; retryAfterSeconds?: number }
  /** `[sim:tool=<name>]`: answer with a call to that tool. */
  | { kind: 'tool'; name: string }
  /** `[sim:reply=<base64url>]`: answer with exactly that text (a judge's scripted verdict). */
  | { kind: 'reply'; text: string };

/** A directive the request carries that it cannot be answered with. */
export class DirectiveError extends Error {}

const DIRECTIVE = /\[sim:([a-z-]+)(?:=([^\],@\s]+))?((?:,[a-z-]+=[^\],@\s]+)*)(?:@([^\]\s]+))?\]/g;

/** The directives in `text` that apply to `model`. */
export function directivesFor(text: string, model: string): Directive[] {
  const directives: Directive[] = [];
  for (const [whole, name, value, params, scope] of text.matchAll(DIRECTIVE)) {
    if (scope !== undefined && scope !== model) continue;
    const extra = new Map(
      params
        .split(',')
        .filter((param) => param.length > 0)
        .map((param) => param.split('=') as [string, string]),
    );
    directives.push(directiveOf(whole, name, value, extra));
  }
  return directives;
}

/** `text` without its directives. */
export function withoutDirectives(text: string): string {
  return text.replace(DIRECTIVE, '').trim();
}

function directiveOf(
  whole: string,
  name: string,
  value: string | undefined,
  extra: Map<string, string>,
): Directive {
  const allow = (...keys: string[]) => {
    const unknown = [...extra.keys()].filter((key) => !keys.includes(key));
    if (unknown.length > 0) throw new DirectiveError(`${whole}: unknown parameter ${unknown[0]}`);
  };
  const retryAfter = () => {
    const seconds = extra.get('retry-after');
    return seconds === undefined ? undefined : integer(whole, 'retry-after', seconds, 0);
  };
  switch (name) {
    case 'status':
      allow('retry-after');
      return {
        kind: 'status',
        status: status(whole, value),
        retryAfterSeconds: retryAfter(),
      };
    case 'reset':
    case 'hang':
      allow();
      if (value !== undefined) throw new DirectiveError(`${whole}: takes no value`);
      return name === 'reset' ? { kind: 'reset' } : { kind: 'hang' };
    case 'fail-after':
      allow();
      return { kind: 'failAfter', deltas: integer(whole, name, value, 0) };
    case 'fail-first':
      allow('status', 'retry-after');
      return {
        kind: 'failFirst',
        count: integer(whole, name, value, 1),
        status: extra.has('status') ? status(whole, extra.get('status')) : 500,
        retryAfterSeconds: retryAfter(),
      };
    case 'tool':
      allow();
      if (value === undefined) throw new DirectiveError(`${whole}: needs a tool name`);
      return { kind: 'tool', name: value };
    case 'reply':
      allow();
      if (value === undefined || !/^[A-Za-z0-9_-]+$/.test(value)) {
        throw new DirectiveError(`${whole}: needs the reply's text in base64url`);
      }
      return { kind: 'reply', text: Buffer.from(value, 'base64url').toString('utf8') };
    default:
      throw new DirectiveError(`${whole}: unknown directive ${name}`);
  }
}

function integer(whole: string, name: string, value: string | undefined, min: number): number {
  const parsed = Number(value);
  if (value === undefined || !Number.isInteger(parsed) || parsed < min) {
    throw new DirectiveError(`${whole}: ${name} must be an integer of at least ${min}`);
  }
  return parsed;
}

function status(whole: string, value: string | undefined): number {
  const code = Number(value);
  if (!Number.isInteger(code) || code < 400 || code > 599) {
    throw new DirectiveError(`${whole}: status must be an HTTP error code from 400 to 599`);
  }
  return code;
}
