// Keel's gRPC server kit: the server with health and reflection, API key auth, one mapping
// from errors to status codes, the unary and server-streaming handler wrappers and graceful shutdown.
export { billingClient, call, inferenceClient, routerClient } from './clients';
export { KeelServer } from './server';
export { type IssuedKey, issueKey, newApiKey, parseApiKey, verifySecret } from './api-key';
export { KeyRing, type Principal } from './key-ring';
export { actingTenant, hasOperatorPower, requireOperator } from './access';
export { toStatus } from './status';
export { unary, type UnaryContext } from './unary';
export { serverStream, type Send, type StreamContext } from './server-stream';
export { CallEnded, type CallContext, cancelledByCaller } from './call-context';
export { onShutdown } from './shutdown';
export type { KitLogger } from './logger';
export { startService, type RunningService, type ServiceEnv, type ServiceParts } from './service';
