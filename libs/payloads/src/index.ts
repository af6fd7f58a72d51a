// The text of an inference, inline in its event or stored in the payloads object store.
export { type InferenceText, fitsInline, textBytes } from './bound';
export { InferencePayloads, MISSING_PAYLOAD_GRACE_MS, PayloadMissingError } from './payloads';
