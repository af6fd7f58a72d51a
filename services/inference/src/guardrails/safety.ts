// Content safety: the input is checked before any model is called, the output once generated
// (a stream's under BLOCK as it is delivered, in windows: stream-window.ts).
// FLAG records the categories found; BLOCK refuses with FAILED_PRECONDITION naming them (or
// answers the function's fallback).
import { common, router } from '@keel/contracts';
import { FailedPreconditionError } from '@keel/errors';
import { type SafetyCategory, unsafeCategories } from '@keel/guardrails';

const { SAFETY_ACTION_FLAG: FLAG, SAFETY_ACTION_BLOCK: BLOCK } = router.SafetyAction;
const { MESSAGE_ROLE_SYSTEM: SYSTEM } = common.MessageRole;

export type Side = 'input' | 'output';

/** One side's check: what it looks for and whether a find blocks. */
export class SafetyCheck {
  private constructor(
    readonly side: Side,
    readonly blocks: boolean,
    /** undefined: every category. */
    private readonly categories: SafetyCategory[] | undefined,
  ) {}

  /** The check of one side of a ContentSafety part; null when that side is not checked. */
  static of(safety: router.ContentSafety | undefined, side: Side): SafetyCheck | null {
    const action = side === 'input' ? safety?.inputAction : safety?.outputAction;
    if (!safety || (action !== FLAG && action !== BLOCK)) return null;
    const categories = safety.categories.map(categoryName).filter((name) => name !== null);
    return new SafetyCheck(
      side,
      action === BLOCK,
      categories.length === 0 ? undefined : categories,
    );
  }

  /**
   * The categories found in `text`, judged whole: the classifier reads a document, and a part
   * of one can read as what the whole is not.
   */
  check(text: string): SafetyCategory[] {
    return text === '' ? [] : unsafeCategories(text, this.categories);
  }

  /**
   * The categories found in the messages' content, each message checked on its own; a blocking
   * check stops at the first message with a find. System messages are the product's own
   * instructions, which often name the very topics they forbid: they are not checked.
   */
  checkMessages(messages: common.ChatMessage[]): SafetyCategory[] {
    const found = new Set<SafetyCategory>();
    for (const message of messages) {
      if (message.role === SYSTEM) continue;
      for (const category of this.check(message.content)) found.add(category);
      if (this.blocks && found.size > 0) break;
    }
    return [...found];
  }
}

/** A content-safety check blocked the request: FAILED_PRECONDITION naming the categories. */
export class ContentBlockedError extends FailedPreconditionError {
  /** For GuardrailReport.blocked_by: `content_safety.output: VIOLENCE`. */
  readonly blockedBy: string;

  constructor(
    readonly side: Side,
    readonly categories: string[],
  ) {
    super(`content_safety: ${side} flagged as ${categories.join(', ')}`);
    this.name = 'ContentBlockedError';
    this.blockedBy = `content_safety.${side}: ${categories.join(', ')}`;
  }
}

function categoryName(category: router.SafetyCategory): SafetyCategory | null {
  const name = router.safetyCategoryToJSON(category).replace(/^SAFETY_CATEGORY_/, '');
  return name === 'UNSPECIFIED' || name === 'UNRECOGNIZED' ? null : (name as SafetyCategory);
}
