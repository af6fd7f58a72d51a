// Keel's contracts: the generated protobuf messages and gRPC services, and the bus contract.
export * as common from './domains/common';
export * as inference from './domains/inference';
export * as router from './domains/router';
export * as evaluation from './domains/evaluation';
export * as feedback from './domains/feedback';
export * as billing from './domains/billing';
export * as retrieval from './domains/retrieval';
export { durationFromMs, durationToMs } from './time';
export * from './subjects';
export { descriptorSetPath, healthDescriptorSetPath } from './descriptor';
