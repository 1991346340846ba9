/**
 * `smartem tools format-xml`: pretty-prints EPU's one-line .dm/.xml files in place, as the original's format_xml.py
 * (minidom `toprettyxml(indent="  ")`, blank lines dropped, `<?xml version="1.0" ?>` first). The document is checked
 * first (a file that is not well-formed is reported and left untouched); tags, attributes and text are kept byte for
 * byte; whitespace between elements becomes the indentation, and text mixed with elements goes, trimmed, on its own
 * line. A leaf's text stays on the element's line, so values are never wrapped in whitespace.
 */
import { decodeXml, scanXml } from '@smartem/epu';

type Token =
  | { type: 'open'; raw: string; selfClosing: boolean }
  | { type: 'close'; raw: string }
  | { type: 'text'; raw: string }
  | { type: 'other'; raw: string }; // comment, processing instruction, CDATA

/** Splits a well-formed document into raw tokens (quote-aware, so `>` inside attribute values is fine). */
function tokenize(xml: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    if (lt < 0) {
      tokens.push({ type: 'text', raw: xml.slice(pos) });
      break;
    }
    if (lt > pos) tokens.push({ type: 'text', raw: xml.slice(pos, lt) });
    const terminator = xml.startsWith('<!--', lt)
      ? '-->'
      : xml.startsWith('<![CDATA[', lt)
        ? ']]>'
        : xml.startsWith('<?', lt)
          ? '?>'
          : null;
    if (terminator) {
      const end = xml.indexOf(terminator, lt) + terminator.length;
      tokens.push({ type: 'other', raw: xml.slice(lt, end) });
      pos = end;
      continue;
    }
    let p = lt + 1;
    let quote = '';
    for (; p < xml.length; p++) {
      const ch = xml[p]!;
      if (quote) {
        if (ch === quote) quote = '';
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '>') break;
    }
    const raw = xml.slice(lt, p + 1);
    if (raw.startsWith('</')) tokens.push({ type: 'close', raw });
    else tokens.push({ type: 'open', raw, selfClosing: raw.endsWith('/>') });
    pos = p + 1;
  }
  return tokens;
}

/** The pretty-printed document. Throws when `xml` is not well-formed. */
export function prettyPrintXml(input: string | Buffer): string {
  const xml = decodeXml(input);
  scanXml(xml, { collecting: false, open() {}, text() {}, close() {} });
  const tokens = tokenize(xml);
  const lines = ['<?xml version="1.0" ?>'];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const indent = '  '.repeat(depth);
    if (t.type === 'open') {
      if (t.selfClosing) {
        lines.push(indent + t.raw);
        continue;
      }
      // `<a>text</a>` and `<a></a>` stay on one line.
      const next = tokens[i + 1];
      const after = tokens[i + 2];
      if (next?.type === 'close') {
        lines.push(indent + t.raw + next.raw);
        i += 1;
      } else if (next?.type === 'text' && after?.type === 'close') {
        lines.push(indent + t.raw + next.raw + after.raw);
        i += 2;
      } else {
        lines.push(indent + t.raw);
        depth++;
      }
    } else if (t.type === 'close') {
      depth--;
      lines.push('  '.repeat(depth) + t.raw);
    } else if (t.type === 'text') {
      if (t.raw.trim() !== '') lines.push(indent + t.raw.trim());
    } else if (!t.raw.startsWith('<?xml ') && !t.raw.startsWith('<?xml?')) {
      lines.push(indent + t.raw);
    }
  }
  return `${lines.filter((l) => l.trim() !== '').join('\n')}\n`;
}
