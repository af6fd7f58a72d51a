// Vectors are stored as the bytes of their float32 values: a quarter of the size of an array of
// doubles, and read back without parsing.
import { Binary } from 'mongodb';

export function binaryOf(vector: Float32Array): Binary {
  return new Binary(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
}

export function vectorOf(binary: Binary): Float32Array {
  const bytes = binary.buffer;
  // A copy: the driver's buffer may not be aligned to 4 bytes.
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}
