// Server reflection (v1 and v1alpha, by @grpc/reflection) over the FileDescriptorProtos buf
// built, with every import, so grpcurl and Postman can describe and call any service with no
// .proto at hand. The package definitions proto-loader builds carry protobufjs
// re-serialisations of the files instead, which clients reject: type names lose their package
// ("*.common.v1.Usage") and map entries are misnamed.
import { readFileSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import {
  loadFileDescriptorSetFromBuffer,
  type AnyDefinition,
  type EnumTypeDefinition,
  type MessageTypeDefinition,
  type PackageDefinition,
} from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { descriptorSetPath, healthDescriptorSetPath } from '@keel/contracts';

/** Serves reflection on `services` (full names) from the Keel and health descriptor sets. */
export function addReflection(server: Pick<grpc.Server, 'addService'>, services: string[]): void {
  const sets = [descriptorSetPath, healthDescriptorSetPath].map((file) => readFileSync(file));
  const files = sets.flatMap(fileDescriptorProtos);
  // @grpc/reflection indexes the files each type definition carries; handing every definition
  // buf's files makes it serve those.
  const definition: PackageDefinition = {};
  for (const set of sets) {
    for (const [name, entry] of Object.entries(loadFileDescriptorSetFromBuffer(set))) {
      definition[name] = isTypeDefinition(entry)
        ? { ...entry, fileDescriptorProtos: files }
        : entry;
    }
  }
  new ReflectionService(definition, { services }).addToServer(server);
}

/** The serialized files of a serialized FileDescriptorSet. */
function fileDescriptorProtos(set: Uint8Array): Buffer[] {
  return fromBinary(FileDescriptorSetSchema, set).file.map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file)),
  );
}

function isTypeDefinition(
  entry: AnyDefinition,
): entry is MessageTypeDefinition<object, object> | EnumTypeDefinition {
  return typeof entry.format === 'string';
}
