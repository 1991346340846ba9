/**
 * A small, fast, namespace-aware XML scanner for EPU's files (DataContract XML: elements, attributes, text, no DTD).
 * It reports start tags (namespace URI, local name, `i:nil`), text and end tags, and rejects what is not
 * well-formed: unclosed or mismatched tags (a truncated file), unbound prefixes, bad attributes or entity
 * references, text or a second element outside the root, a DOCTYPE. saxes does the same job 3-4x slower; the tests
 * run both on every sample and on broken inputs and expect identical results (see xml/saxes-scanner.ts).
 */

export interface XmlEvents {
  /** A start tag: the local name is `source.slice(localStart, localEnd)` (sliced only by a consumer that needs it). */
  open(source: string, localStart: number, localEnd: number, uri: string, nil: boolean): void;
  /** Called only while `collecting` is true (text and CDATA of the current element, entities decoded). */
  text(value: string): void;
  close(): void;
  /** Whether the current element's text is wanted. */
  collecting: boolean;
}

export const XMLNS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

const LT = 60; // <
const GT = 62; // >
const SLASH = 47;
const EQ = 61;
const QUOT = 34;
const APOS = 39;
const BANG = 33;
const QUESTION = 63;
const COLON = 58;
const AMP = 38;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Characters that end a name. */
function endsName(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === GT || c === SLASH || c === EQ || c === LT || c === QUOT || c === APOS;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes entity references in `s` (known to contain `&`). */
function decodeEntities(s: string): string {
  return s.replace(/&([^;&<]*);?/g, (match, name: string) => {
    if (!match.endsWith(';')) throw new Error(`unterminated entity reference "${match.slice(0, 20)}"`);
    const named = ENTITIES[name];
    if (named !== undefined) return named;
    const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : name.startsWith('#') ? parseInt(name.slice(1), 10) : NaN;
    if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff || !/^#(x[0-9a-fA-F]+|[0-9]+)$/.test(name)) {
      throw new Error(`unknown or invalid entity reference &${name};`);
    }
    return String.fromCodePoint(code);
  });
}

function lineOf(xml: string, pos: number): string {
  let line = 1;
  for (let i = xml.indexOf('\n'); i >= 0 && i < pos; i = xml.indexOf('\n', i + 1)) line++;
  return `line ${line}, offset ${pos}`;
}

export function scanXml(xml: string, events: XmlEvents): void {
  const n = xml.length;
  // Open elements as [start, end) offsets of their qualified names: no string is allocated per element.
  const nameStarts: number[] = [];
  const nameEnds: number[] = [];
  let depth = 0;
  // Namespace bindings in scope, and the binding count at each open element to unwind on close.
  const prefixes: string[] = ['xml'];
  const uris: string[] = [XML_NS];
  const bindingMarks: number[] = [];
  let bindings = 1;
  // Attribute offsets of the current start tag (reused).
  const attrStart: number[] = [];
  const attrEnd: number[] = [];
  const valueStart: number[] = [];
  const valueEnd: number[] = [];
  let rootClosed = false;
  let pos = 0;
  let nextAmp = xml.indexOf('&');
  const fail = (message: string, at: number): never => {
    throw new Error(`${message} (${lineOf(xml, at)})`);
  };
  /** The namespace bound to the prefix xml[start, end) (empty range: the default namespace). */
  const resolve = (start: number, end: number, at: number): string => {
    const length = end - start;
    for (let i = bindings - 1; i >= 0; i--) {
      const prefix = prefixes[i]!;
      if (prefix.length === length && xml.startsWith(prefix, start)) return uris[i]!;
    }
    if (length === 0) return '';
    return fail(`unbound namespace prefix "${xml.slice(start, end)}"`, at);
  };
  const sameText = (a: number, b: number, length: number): boolean => {
    for (let i = 0; i < length; i++) if (xml.charCodeAt(a + i) !== xml.charCodeAt(b + i)) return false;
    return true;
  };

  while (pos < n) {
    const lt = xml.indexOf('<', pos);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > pos) {
      if (depth === 0) {
        for (let i = pos; i < textEnd; i++) if (!isSpace(xml.charCodeAt(i))) fail('text outside the root element', i);
      } else if (events.collecting) {
        const raw = xml.slice(pos, textEnd);
        events.text(raw.includes('&') ? decodeEntities(raw) : raw);
      } else {
        // Entity references are validated even in unwanted text; the next `&` is looked up once, not per text node.
        if (nextAmp >= 0 && nextAmp < pos) nextAmp = xml.indexOf('&', pos);
        if (nextAmp >= 0 && nextAmp < textEnd) decodeEntities(xml.slice(pos, textEnd));
      }
    }
    if (lt < 0) break;
    const c = xml.charCodeAt(lt + 1);
    if (c === SLASH) pos = endTag(lt);
    else if (c === BANG) {
      if (xml.startsWith('<!--', lt)) {
        const end = xml.indexOf('-->', lt + 4);
        if (end < 0) fail('unterminated comment', lt);
        pos = end + 3;
      } else if (xml.startsWith('<![CDATA[', lt)) {
        if (depth === 0) fail('CDATA outside the root element', lt);
        const end = xml.indexOf(']]>', lt + 9);
        if (end < 0) fail('unterminated CDATA section', lt);
        if (events.collecting) events.text(xml.slice(lt + 9, end));
        pos = end + 3;
      } else {
        fail('DOCTYPE and other declarations are not supported', lt);
      }
    } else if (c === QUESTION) {
      const end = xml.indexOf('?>', lt + 2);
      if (end < 0) fail('unterminated processing instruction', lt);
      pos = end + 2;
    } else {
      pos = startTag(lt);
    }
  }
  if (depth > 0) fail(`unclosed element <${xml.slice(nameStarts[depth - 1], nameEnds[depth - 1])}> (file truncated?)`, n);
  if (!rootClosed) fail('no root element', n);

  function endTag(lt: number): number {
    const start = lt + 2;
    let p = start;
    while (p < n && !endsName(xml.charCodeAt(p))) p++;
    const length = p - start;
    while (p < n && isSpace(xml.charCodeAt(p))) p++;
    if (p >= n) fail('unterminated end tag (file truncated?)', lt);
    if (xml.charCodeAt(p) !== GT) fail(`malformed end tag </${xml.slice(start, start + length)}`, lt);
    if (depth === 0) fail(`end tag </${xml.slice(start, start + length)}> without a start tag`, lt);
    const openStart = nameStarts[depth - 1]!;
    const openEnd = nameEnds[depth - 1]!;
    if (openEnd - openStart !== length || !sameText(openStart, start, length)) {
      fail(`end tag </${xml.slice(start, start + length)}> does not match <${xml.slice(openStart, openEnd)}>`, lt);
    }
    depth--;
    bindings = bindingMarks[depth]!;
    events.close();
    if (depth === 0) rootClosed = true;
    return p + 1;
  }

  /** Parses the start tag at `lt`; returns the position after it. */
  function startTag(lt: number): number {
    if (rootClosed) fail('a second root element', lt);
    const qStart = lt + 1;
    let p = qStart;
    let colon = -1;
    for (; p < n; p++) {
      const ch = xml.charCodeAt(p);
      if (endsName(ch)) break;
      if (ch === COLON && colon < 0) colon = p;
    }
    const qEnd = p;
    if (qEnd === qStart || colon === qStart || colon === qEnd - 1) fail('malformed start tag', lt);
    const mark = bindings;
    let attrs = 0;
    let selfClosing = false;
    for (;;) {
      const ws = p;
      while (p < n && isSpace(xml.charCodeAt(p))) p++;
      if (p >= n) fail(`unterminated start tag <${xml.slice(qStart, qEnd)} (file truncated?)`, lt);
      const ch = xml.charCodeAt(p);
      if (ch === GT) {
        p++;
        break;
      }
      if (ch === SLASH) {
        if (xml.charCodeAt(p + 1) !== GT) fail(`malformed start tag <${xml.slice(qStart, qEnd)}`, lt);
        p += 2;
        selfClosing = true;
        break;
      }
      if (p === ws) fail(`missing whitespace before an attribute in <${xml.slice(qStart, qEnd)}`, p);
      const nameStart = p;
      while (p < n && !endsName(xml.charCodeAt(p))) p++;
      const nameEnd = p;
      if (nameEnd === nameStart) fail(`malformed attribute in <${xml.slice(qStart, qEnd)}`, p);
      while (p < n && isSpace(xml.charCodeAt(p))) p++;
      if (xml.charCodeAt(p) !== EQ) fail(`attribute ${xml.slice(nameStart, nameEnd)} without a value`, p);
      p++;
      while (p < n && isSpace(xml.charCodeAt(p))) p++;
      const quote = xml.charCodeAt(p);
      if (quote !== QUOT && quote !== APOS) fail(`unquoted value of attribute ${xml.slice(nameStart, nameEnd)}`, p);
      const close = xml.indexOf(quote === QUOT ? '"' : "'", p + 1);
      if (close < 0) fail(`unterminated value of attribute ${xml.slice(nameStart, nameEnd)} (file truncated?)`, p);
      let hasAmp = false;
      for (let i = p + 1; i < close; i++) {
        const vc = xml.charCodeAt(i);
        if (vc === LT) fail(`"<" in the value of attribute ${xml.slice(nameStart, nameEnd)}`, i);
        if (vc === AMP) hasAmp = true;
      }
      if (hasAmp) decodeEntities(xml.slice(p + 1, close));
      for (let i = 0; i < attrs; i++) {
        if (attrEnd[i]! - attrStart[i]! === nameEnd - nameStart && sameText(attrStart[i]!, nameStart, nameEnd - nameStart)) {
          fail(`duplicate attribute ${xml.slice(nameStart, nameEnd)}`, nameStart);
        }
      }
      attrStart[attrs] = nameStart;
      attrEnd[attrs] = nameEnd;
      valueStart[attrs] = p + 1;
      valueEnd[attrs++] = close;
      if (xml.startsWith('xmlns', nameStart)) {
        const value = () => {
          const v = xml.slice(p + 1, close);
          return hasAmp ? decodeEntities(v) : v;
        };
        if (nameEnd - nameStart === 5) {
          prefixes[bindings] = '';
          uris[bindings++] = value();
        } else if (xml.charCodeAt(nameStart + 5) === COLON) {
          const uri = value();
          if (uri === '') fail(`empty namespace for prefix ${xml.slice(nameStart + 6, nameEnd)}`, nameStart);
          prefixes[bindings] = xml.slice(nameStart + 6, nameEnd);
          uris[bindings++] = uri;
        }
      }
      p = close + 1;
    }
    const uri = colon < 0 ? resolve(0, 0, lt) : resolve(qStart, colon, lt);
    let nil = false;
    for (let i = 0; i < attrs; i++) {
      const a = attrStart[i]!;
      const e = attrEnd[i]!;
      let ac = -1;
      for (let j = a; j < e; j++) {
        if (xml.charCodeAt(j) === COLON) {
          ac = j;
          break;
        }
      }
      if (ac < 0 || (ac - a === 5 && xml.startsWith('xmlns', a))) continue;
      const aUri = resolve(a, ac, lt);
      if (e - ac === 4 && xml.startsWith('nil', ac + 1) && aUri === XMLNS_XSI) {
        nil = xml.slice(valueStart[i], valueEnd[i]).trim() === 'true';
      }
    }
    nameStarts[depth] = qStart;
    nameEnds[depth] = qEnd;
    bindingMarks[depth++] = mark;
    events.open(xml, colon < 0 ? qStart : colon + 1, qEnd, uri, nil);
    if (selfClosing) {
      depth--;
      bindings = mark;
      events.close();
      if (depth === 0) rootClosed = true;
    }
    return p;
  }
}
