import { common, evaluation } from '@keel/contracts';
import {
  checkDatasetName,
  checkExamples,
  exampleAfterOf,
  examplePageTokenOf,
  pageSizeOf,
} from './dataset-requests';

const user = common.ChatMessage.fromPartial({
  role: common.MessageRole.MESSAGE_ROLE_USER,
  content: 'hi',
});
const example = (exampleId: string, messages = [user]) =>
  evaluation.DatasetExample.fromPartial({ exampleId, messages });

describe('dataset requests', () => {
  it('refuses a dataset name that is empty or has other characters, naming the field', () => {
    expect(() => checkDatasetName('gsm8k-200.v2')).not.toThrow();
    expect(() => checkDatasetName('')).toThrow('dataset_name: must not be empty');
    expect(() => checkDatasetName('a b')).toThrow(/^dataset_name: 'a b' is not a dataset name/);
  });

  it('refuses an example without id or messages, a role unset, a repeated id, too many', () => {
    expect(() => checkExamples([example('a'), example('b')])).not.toThrow();
    expect(() => checkExamples([])).toThrow('examples: must not be empty');
    expect(() => checkExamples([example('')])).toThrow('examples[0].example_id: must not be empty');
    expect(() => checkExamples([example('a', [])])).toThrow(
      'examples[0].messages: must not be empty',
    );
    expect(() =>
      checkExamples([
        example('a', [{ ...user, role: common.MessageRole.MESSAGE_ROLE_UNSPECIFIED }]),
      ]),
    ).toThrow('examples[0].messages[0].role: must be set');
    expect(() => checkExamples([example('a'), example('a')])).toThrow(
      "examples[1].example_id: 'a' appears twice in this call",
    );
    const many = Array.from({ length: 1_001 }, (_, i) => example(String(i)));
    expect(() => checkExamples(many)).toThrow('examples: 1001 given; at most 1000');
  });

  it('pages 100 by default, at most 1,000, resuming after the last id', () => {
    expect(pageSizeOf(0)).toBe(100);
    expect(() => pageSizeOf(1_001)).toThrow('page_size: 1001 is outside 0 to 1000');
    expect(exampleAfterOf(examplePageTokenOf('q/17'))).toBe('q/17');
    expect(exampleAfterOf('')).toBe('');
  });
});
