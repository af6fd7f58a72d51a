// Whether an inference's text travels inline in its event: pure, so the decision is tested alone.
import { type common, type inference, INFERENCE_TEXT_INLINE_MAX_BYTES } from '@keel/contracts';

/** The whole text of one inference: its request's messages, its answer and its reference. */
export interface InferenceText {
  inputMessages: common.ChatMessage[];
  outputText: string;
  /** What the request gave its evaluators to compare the answer with. */
  reference?: inference.Reference | undefined;
  /** The retrieved context the model was given, rendered. */
  retrieval?: Pick<inference.RetrievedContext, 'renderedContext'> | undefined;
}

/**
 * UTF-8 bytes of the messages' content, the output, the reference's answer and context, and
 * the rendered retrieved context: what the inline bound counts.
 */
export function textBytes(text: InferenceText): number {
  let bytes = Buffer.byteLength(text.outputText, 'utf8');
  for (const message of text.inputMessages) bytes += Buffer.byteLength(message.content, 'utf8');
  if (text.reference) {
    bytes += Buffer.byteLength(text.reference.answer, 'utf8');
    for (const passage of text.reference.context) bytes += Buffer.byteLength(passage, 'utf8');
  }
  if (text.retrieval) bytes += Buffer.byteLength(text.retrieval.renderedContext, 'utf8');
  return bytes;
}

export function fitsInline(
  text: InferenceText,
  maxBytes = INFERENCE_TEXT_INLINE_MAX_BYTES,
): boolean {
  return textBytes(text) <= maxBytes;
}
