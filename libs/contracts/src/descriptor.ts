import path from 'node:path';

// FileDescriptorSets built by buf, served by gRPC reflection as they are.
/** Every Keel proto with its imports. */
export const descriptorSetPath = path.join(__dirname, 'gen', 'descriptor.binpb');
/** grpc.health.v1 (health/v1/health.proto), which every service serves beside its own. */
export const healthDescriptorSetPath = path.join(__dirname, 'gen', 'health.binpb');
