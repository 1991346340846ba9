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

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Characters that end a name (whitespace, `>`, `/`, `=`, `<`, quotes), as a lookup table over ASCII. */
const ENDS_NAME = new Uint8Array(128);
for (const c of [32, 10, 13, 9, GT, SLASH, EQ, LT, QUOT, APOS]) ENDS_NAME[c] = 1;

function endsName(c: number): boolean {
  return c < 128 && ENDS_NAME[c] === 1;
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

/** The scanner's state; one instance per thread is reused (see scanXml), so arrays are not reallocated per file. */
class Scanner {
  private xml = '';
  private n = 0;
  private events!: XmlEvents;
  // Open elements as [start, end) offsets of their qualified names: no string is allocated per element.
  private readonly nameStarts: number[] = [];
  private readonly nameEnds: number[] = [];
  private depth = 0;
  // Namespace bindings in scope, and the binding count at each open element to unwind on close.
  private readonly prefixes: string[] = ['xml'];
  private readonly uris: string[] = [XML_NS];
  private readonly bindingMarks: number[] = [];
  private bindings = 1;
  // Attribute offsets of the current start tag.
  private readonly attrStart: number[] = [];
  private readonly attrEnd: number[] = [];
  private readonly attrColons: number[] = [];
  private readonly valueStart: number[] = [];
  private readonly valueEnd: number[] = [];
  private rootClosed = false;
  private nextAmp = -1;
  busy = false;

  private fail(message: string, at: number): never {
    throw new Error(`${message} (${lineOf(this.xml, at)})`);
  }

  /** The namespace bound to the prefix xml[start, end) (empty range: the default namespace). */
  private resolve(start: number, end: number, at: number): string {
    const length = end - start;
    const { prefixes, xml } = this;
    for (let i = this.bindings - 1; i >= 0; i--) {
      const prefix = prefixes[i]!;
      if (prefix.length === length && xml.startsWith(prefix, start)) return this.uris[i]!;
    }
    if (length === 0) return '';
    return this.fail(`unbound namespace prefix "${xml.slice(start, end)}"`, at);
  }

  private sameText(a: number, b: number, length: number): boolean {
    const xml = this.xml;
    for (let i = 0; i < length; i++) if (xml.charCodeAt(a + i) !== xml.charCodeAt(b + i)) return false;
    return true;
  }

  scan(xml: string, events: XmlEvents): void {
    this.xml = xml;
    this.n = xml.length;
    this.events = events;
    this.depth = 0;
    this.bindings = 1;
    this.rootClosed = false;
    this.nextAmp = xml.indexOf('&');
    const n = this.n;
    let pos = 0;
    while (pos < n) {
      const lt = xml.indexOf('<', pos);
      const textEnd = lt < 0 ? n : lt;
      if (textEnd > pos) this.text(pos, textEnd);
      if (lt < 0) break;
      const c = xml.charCodeAt(lt + 1);
      if (c === SLASH) pos = this.endTag(lt);
      else if (c === BANG) pos = this.declaration(lt);
      else if (c === QUESTION) {
        const end = xml.indexOf('?>', lt + 2);
        if (end < 0) this.fail('unterminated processing instruction', lt);
        pos = end + 2;
      } else pos = this.startTag(lt);
    }
    if (this.depth > 0) {
      const d = this.depth - 1;
      this.fail(`unclosed element <${xml.slice(this.nameStarts[d], this.nameEnds[d])}> (file truncated?)`, n);
    }
    if (!this.rootClosed) this.fail('no root element', n);
  }

  private text(pos: number, textEnd: number): void {
    const xml = this.xml;
    if (this.depth === 0) {
      for (let i = pos; i < textEnd; i++) if (!isSpace(xml.charCodeAt(i))) this.fail('text outside the root element', i);
    } else if (this.events.collecting) {
      const raw = xml.slice(pos, textEnd);
      this.events.text(raw.includes('&') ? decodeEntities(raw) : raw);
    } else {
      // Entity references are validated even in unwanted text; the next `&` is looked up once, not per text node.
      if (this.nextAmp >= 0 && this.nextAmp < pos) this.nextAmp = xml.indexOf('&', pos);
      if (this.nextAmp >= 0 && this.nextAmp < textEnd) decodeEntities(xml.slice(pos, textEnd));
    }
  }

  private declaration(lt: number): number {
    const xml = this.xml;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) this.fail('unterminated comment', lt);
      return end + 3;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      if (this.depth === 0) this.fail('CDATA outside the root element', lt);
      const end = xml.indexOf(']]>', lt + 9);
      if (end < 0) this.fail('unterminated CDATA section', lt);
      if (this.events.collecting) this.events.text(xml.slice(lt + 9, end));
      return end + 3;
    }
    return this.fail('DOCTYPE and other declarations are not supported', lt);
  }
  private endTag(lt: number): number {
    const xml = this.xml;
    const n = this.n;
    const start = lt + 2;
    let p = start;
    while (p < n && !endsName(xml.charCodeAt(p))) p++;
    const length = p - start;
    while (p < n && isSpace(xml.charCodeAt(p))) p++;
    if (p >= n) this.fail('unterminated end tag (file truncated?)', lt);
    if (xml.charCodeAt(p) !== GT) this.fail(`malformed end tag </${xml.slice(start, start + length)}`, lt);
    if (this.depth === 0) this.fail(`end tag </${xml.slice(start, start + length)}> without a start tag`, lt);
    const openStart = this.nameStarts[this.depth - 1]!;
    const openEnd = this.nameEnds[this.depth - 1]!;
    if (openEnd - openStart !== length || !this.sameText(openStart, start, length)) {
      this.fail(`end tag </${xml.slice(start, start + length)}> does not match <${xml.slice(openStart, openEnd)}>`, lt);
    }
    this.depth--;
    this.bindings = this.bindingMarks[this.depth]!;
    this.events.close();
    if (this.depth === 0) this.rootClosed = true;
    return p + 1;
  }

  /** Parses the start tag at `lt`; returns the position after it. */
  private startTag(lt: number): number {
    const xml = this.xml;
    const n = this.n;
    const { attrStart, attrEnd, attrColons, valueStart, valueEnd, prefixes, uris } = this;
    if (this.rootClosed) this.fail('a second root element', lt);
    const qStart = lt + 1;
    let p = qStart;
    let colon = -1;
    for (; p < n; p++) {
      const ch = xml.charCodeAt(p);
      if (endsName(ch)) break;
      if (ch === COLON && colon < 0) colon = p;
    }
    const qEnd = p;
    if (qEnd === qStart || colon === qStart || colon === qEnd - 1) this.fail('malformed start tag', lt);
    const mark = this.bindings;
    let attrs = 0;
    let selfClosing = false;
    for (;;) {
      const ws = p;
      while (p < n && isSpace(xml.charCodeAt(p))) p++;
      if (p >= n) this.fail(`unterminated start tag <${xml.slice(qStart, qEnd)} (file truncated?)`, lt);
      const ch = xml.charCodeAt(p);
      if (ch === GT) {
        p++;
        break;
      }
      if (ch === SLASH) {
        if (xml.charCodeAt(p + 1) !== GT) this.fail(`malformed start tag <${xml.slice(qStart, qEnd)}`, lt);
        p += 2;
        selfClosing = true;
        break;
      }
      if (p === ws) this.fail(`missing whitespace before an attribute in <${xml.slice(qStart, qEnd)}`, p);
      const nameStart = p;
      let attrColon = -1;
      for (; p < n; p++) {
        const ac = xml.charCodeAt(p);
        if (endsName(ac)) break;
        if (ac === COLON && attrColon < 0) attrColon = p;
      }
      const nameEnd = p;
      if (nameEnd === nameStart) this.fail(`malformed attribute in <${xml.slice(qStart, qEnd)}`, p);
      while (p < n && isSpace(xml.charCodeAt(p))) p++;
      if (xml.charCodeAt(p) !== EQ) this.fail(`attribute ${xml.slice(nameStart, nameEnd)} without a value`, p);
      p++;
      while (p < n && isSpace(xml.charCodeAt(p))) p++;
      const quote = xml.charCodeAt(p);
      if (quote !== QUOT && quote !== APOS) this.fail(`unquoted value of attribute ${xml.slice(nameStart, nameEnd)}`, p);
      const close = xml.indexOf(quote === QUOT ? '"' : "'", p + 1);
      if (close < 0) this.fail(`unterminated value of attribute ${xml.slice(nameStart, nameEnd)} (file truncated?)`, p);
      const ltInValue = xml.indexOf('<', p + 1);
      if (ltInValue >= 0 && ltInValue < close) this.fail(`"<" in the value of attribute ${xml.slice(nameStart, nameEnd)}`, ltInValue);
      if (this.nextAmp >= 0 && this.nextAmp <= p) this.nextAmp = xml.indexOf('&', p + 1);
      const hasAmp = this.nextAmp >= 0 && this.nextAmp < close;
      if (hasAmp) decodeEntities(xml.slice(p + 1, close));
      for (let i = 0; i < attrs; i++) {
        if (attrEnd[i]! - attrStart[i]! === nameEnd - nameStart && this.sameText(attrStart[i]!, nameStart, nameEnd - nameStart)) {
          this.fail(`duplicate attribute ${xml.slice(nameStart, nameEnd)}`, nameStart);
        }
      }
      attrStart[attrs] = nameStart;
      attrColons[attrs] = attrColon;
      attrEnd[attrs] = nameEnd;
      valueStart[attrs] = p + 1;
      valueEnd[attrs++] = close;
      if (xml.startsWith('xmlns', nameStart)) {
        let uri = xml.slice(p + 1, close);
        if (hasAmp) uri = decodeEntities(uri);
        if (nameEnd - nameStart === 5) {
          prefixes[this.bindings] = '';
          uris[this.bindings++] = uri;
        } else if (xml.charCodeAt(nameStart + 5) === COLON) {
          if (uri === '') this.fail(`empty namespace for prefix ${xml.slice(nameStart + 6, nameEnd)}`, nameStart);
          prefixes[this.bindings] = xml.slice(nameStart + 6, nameEnd);
          uris[this.bindings++] = uri;
        }
      }
      p = close + 1;
    }
    const uri = colon < 0 ? this.resolve(0, 0, lt) : this.resolve(qStart, colon, lt);
    let nil = false;
    for (let i = 0; i < attrs; i++) {
      const a = attrStart[i]!;
      const e = attrEnd[i]!;
      const ac = attrColons[i]!;
      if (ac < 0 || (ac - a === 5 && xml.startsWith('xmlns', a))) continue;
      const aUri = this.resolve(a, ac, lt);
      if (e - ac === 4 && xml.startsWith('nil', ac + 1) && aUri === XMLNS_XSI) {
        nil = xml.slice(valueStart[i], valueEnd[i]).trim() === 'true';
      }
    }
    this.nameStarts[this.depth] = qStart;
    this.nameEnds[this.depth] = qEnd;
    this.bindingMarks[this.depth++] = mark;
    this.events.open(xml, colon < 0 ? qStart : colon + 1, qEnd, uri, nil);
    if (selfClosing) {
      this.depth--;
      this.bindings = mark;
      this.events.close();
      if (this.depth === 0) this.rootClosed = true;
    }
    return p;
  }
}

const shared = new Scanner();

/** Scans `xml`, reporting to `events`; throws an Error describing the first well-formedness problem. */
export function scanXml(xml: string, events: XmlEvents): void {
  // The shared instance is reused unless a scan is already running (a nested call from an event handler).
  const scanner = shared.busy ? new Scanner() : shared;
  scanner.busy = true;
  try {
    scanner.scan(xml, events);
  } finally {
    scanner.busy = false;
  }
}
