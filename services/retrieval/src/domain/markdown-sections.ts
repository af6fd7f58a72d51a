// Splits a Markdown document at its headings with markdown-it's parser (so a `#` inside a code
// block or a paragraph is text, not a heading), keeping each section's source text and the
// path of headings above it.
import MarkdownIt from 'markdown-it';

export interface MarkdownSection {
  /** The headings above the section, outermost first. */
  headings: string[];
  text: string;
}

const parser = new MarkdownIt('commonmark');

export function markdownSections(source: string): MarkdownSection[] {
  const lines = source.split('\n');
  const tokens = parser.parse(source, {});
  const sections: MarkdownSection[] = [];
  // The open heading at each level (index 0 is `#`).
  const path: string[] = [];
  let bodyStart = 0;
  const close = (bodyEnd: number) => {
    const text = lines.slice(bodyStart, bodyEnd).join('\n').trim();
    if (text !== '') sections.push({ headings: path.filter((h) => h !== ''), text });
  };
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open' || !token.map) return;
    close(token.map[0]);
    const level = Number(token.tag.slice(1));
    path.length = level - 1;
    for (let l = 0; l < level - 1; l++) path[l] ??= '';
    path[level - 1] = tokens[i + 1]?.content.trim() ?? '';
    bodyStart = token.map[1];
  });
  close(lines.length);
  return sections;
}
