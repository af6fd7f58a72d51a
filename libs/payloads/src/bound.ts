// Whether an inference's text travels inline in its event: pure, so the decision is tested alone.
import { type common, INFERENCE_TEXT_INLINE_MAX_BYTES } from '@keel/contracts';

/** The whole text of one inference: its request's messages and its answer. */
export interface InferenceText {
  inputMessages: common.ChatMessage[];
  outputText: string;
}

/** UTF-8 bytes of the messages' content and the output: what the inline bound counts. */
export function textBytes(text: InferenceText): number {
  let bytes = Buffer.byteLength(text.outputText, 'utf8');
  for (const message of text.inputMessages) bytes += Buffer.byteLength(message.content, 'utf8');
  return bytes;
}

export function fitsInline(
  text: InferenceText,
  maxBytes = INFERENCE_TEXT_INLINE_MAX_BYTES,
): boolean {
  return textBytes(text) <= maxBytes;
}
