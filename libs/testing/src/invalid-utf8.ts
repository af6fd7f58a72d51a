// Protobuf bytes carrying invalid UTF-8 where a string field would be: a client library refuses
// to encode such a string, so a test encodes a marker and swaps its bytes afterwards.

/** Put this in the string field to spoil: its two UTF-8 bytes become two invalid ones. */
export const INVALID_UTF8_MARKER = '\u00a7';

const MARKER_BYTES = Buffer.from(INVALID_UTF8_MARKER, 'utf8');
// 0xFF never appears in UTF-8; the length stays the same, so the protobuf framing holds.
const INVALID_BYTES = Buffer.from([0xff, 0xfe]);

/** `encoded` with every marker replaced by bytes that are not valid UTF-8. */
export function withInvalidUtf8(encoded: Uint8Array): Buffer {
  const bytes = Buffer.from(encoded);
  let at = bytes.indexOf(MARKER_BYTES);
  if (at < 0) throw new Error(`no ${INVALID_UTF8_MARKER} marker in the encoded message`);
  while (at >= 0) {
    INVALID_BYTES.copy(bytes, at);
    at = bytes.indexOf(MARKER_BYTES, at + MARKER_BYTES.length);
  }
  return bytes;
}
