// The sim upstream: an OpenAI- and Anthropic-compatible HTTP server for tests, soaks and benchmarks.
export {
  type RecordedRequest,
  type SimUpstream,
  type SimUpstreamCounters,
  type SimUpstreamOptions,
  type SimUpstreamSettings,
  startSimUpstream,
} from './server';
export { FAULT_KINDS, type FaultKind, type FaultPlan } from './faults';
export { DEFAULT_REPLAY_FILE, DEFAULT_REPLAY_MODELS } from './replay';
