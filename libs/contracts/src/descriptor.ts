import path from 'node:path';

// The FileDescriptorSet of every Keel proto, built by buf; served by gRPC reflection.
export const descriptorSetPath = path.join(__dirname, 'gen', 'descriptor.binpb');
