// Requests whose strings are not valid UTF-8 are refused with INVALID_ARGUMENT naming the
// field. Decoders replace such bytes with U+FFFD silently, and grpc-js answers a throwing
// deserializer with INTERNAL, so the request bytes are checked against the request's message
// descriptor before decoding, and a refused request reaches the handler as a RefusedRequest,
// which the wrapped handler answers with its status.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import {
  type MethodDefinition,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  status,
} from '@grpc/grpc-js';
import {
  type DescField,
  type DescMessage,
  type FileRegistry,
  ScalarType,
  createFileRegistry,
  fromBinary,
} from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { descriptorSetPath } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { measureRpc } from './rpc-metrics';
import { toStatus } from './status';

/** What the deserializer hands the handler instead of a request it refused. */
class RefusedRequest {
  constructor(readonly error: InvalidArgumentError) {}
}

/**
 * The service with each method's request checked for invalid UTF-8 before it is decoded.
 * Throws for a service missing from the contracts' descriptors or a client-streaming method:
 * neither can be checked, and serving them unchecked would let invalid text through.
 */
export function refuseInvalidUtf8(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const checkedDefinition: Record<string, MethodDefinition<unknown, unknown>> = {};
  const checkedImplementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    if (method.requestStream) {
      throw new Error(`${method.path}: client-streaming requests are not checked for UTF-8`);
    }
    const input = requestMessageOf(method.path);
    checkedDefinition[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const field = invalidUtf8Field(input, bytes);
        return field === null
          ? method.requestDeserialize(bytes)
          : new RefusedRequest(new InvalidArgumentError(field, 'not valid UTF-8'));
      },
    };
    const handler = implementation[name];
    if (!handler) continue;
    checkedImplementation[name] = method.responseStream
      ? refusingStream(handler as StreamHandler)
      : refusingUnary(handler as UnaryHandler);
  }
  return { definition: checkedDefinition, implementation: checkedImplementation };
}

interface Call {
  request: unknown;
  getPath(): string;
}
type Answer = { code: status; details: string };
type UnaryHandler = (call: Call, callback: (error: Answer) => void) => void;
type StreamHandler = (call: Call & { emit(event: 'error', error: Answer): boolean }) => void;

function refusingUnary(handler: UnaryHandler): UnaryHandler {
  return (call, callback) => {
    if (call.request instanceof RefusedRequest) callback(answerOf(call, call.request));
    else handler(call, callback);
  };
}

function refusingStream(handler: StreamHandler): StreamHandler {
  return (call) => {
    // grpc-js ends a server stream with the status of an 'error' it emits.
    if (call.request instanceof RefusedRequest) call.emit('error', answerOf(call, call.request));
    else handler(call);
  };
}

/** The refusal's status, counted in the RPC metrics like every answer. */
function answerOf(call: Call, refused: RefusedRequest): Answer {
  const answer = toStatus(refused.error);
  measureRpc(call.getPath())(answer.code);
  return answer;
}

/**
 * The path of the first string field (`messages[0].content`, proto field names) whose bytes
 * are not valid UTF-8, or null when there is none. Bytes that are not a valid message at all
 * are left to the decoder.
 */
export function invalidUtf8Field(message: DescMessage, bytes: Uint8Array): string | null {
  try {
    return walk(message, bytes, '');
  } catch {
    return null;
  }
}

function walk(message: DescMessage, bytes: Uint8Array, prefix: string): string | null {
  const reader = new BinaryReader(bytes);
  const seen = new Map<number, number>();
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    const field = fieldOf(message, number);
    if (!field || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, number);
      continue;
    }
    const index = seen.get(number) ?? 0;
    seen.set(number, index + 1);
    const value = reader.bytes();
    const path =
      field.fieldKind === 'list' ? `${prefix}${field.name}[${index}]` : prefix + field.name;
    const invalid = checkValue(field, value, path);
    if (invalid !== null) return invalid;
  }
  return null;
}

function checkValue(field: DescField, value: Uint8Array, path: string): string | null {
  switch (field.fieldKind) {
    case 'scalar':
      return isInvalidString(field.scalar, value) ? path : null;
    case 'list':
      if (field.listKind === 'message') return walk(field.message, value, `${path}.`);
      return field.listKind === 'scalar' && isInvalidString(field.scalar, value) ? path : null;
    case 'message':
      return walk(field.message, value, `${path}.`);
    case 'map':
      return checkMapEntry(field, value, path);
    default:
      return null;
  }
}

function isInvalidString(scalar: ScalarType, value: Uint8Array): boolean {
  return scalar === ScalarType.STRING && !isUtf8(value);
}

/** A map entry is a message of its key (1) and value (2); `labels["tier"]` names a value. */
function checkMapEntry(
  field: DescField & { fieldKind: 'map' },
  entry: Uint8Array,
  path: string,
): string | null {
  const reader = new BinaryReader(entry);
  let valuePath = path;
  let value: Uint8Array | null = null;
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (
      number === 1 &&
      field.mapKey === ScalarType.STRING &&
      wireType === WireType.LengthDelimited
    ) {
      const key = reader.bytes();
      if (!isUtf8(key)) return `${path} (a key)`;
      valuePath = `${path}[${JSON.stringify(Buffer.from(key).toString('utf8'))}]`;
    } else if (number === 2 && wireType === WireType.LengthDelimited) {
      value = reader.bytes();
    } else {
      reader.skip(wireType, number);
    }
  }
  if (value === null) return null;
  if (field.mapKind === 'message') return walk(field.message, value, `${valuePath}.`);
  return field.mapKind === 'scalar' && isInvalidString(field.scalar, value) ? valuePath : null;
}

const fieldsByNumber = new WeakMap<DescMessage, Map<number, DescField>>();

function fieldOf(message: DescMessage, number: number): DescField | undefined {
  let fields = fieldsByNumber.get(message);
  if (!fields) {
    fields = new Map(message.fields.map((field) => [field.number, field]));
    fieldsByNumber.set(message, fields);
  }
  return fields.get(number);
}

let registry: FileRegistry | null = null;

/** The request message of `/keel.router.v1.RouterService/Route`, from the contracts' descriptors. */
function requestMessageOf(path: string): DescMessage {
  registry ??= createFileRegistry(
    fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSetPath)),
  );
  const [, serviceName, methodName] = path.split('/');
  const method = registry.getService(serviceName)?.methods.find((m) => m.name === methodName);
  if (!method) throw new Error(`${path} is not in the contracts' descriptors`);
  return method.input;
}
