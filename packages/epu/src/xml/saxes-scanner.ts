/**
 * The same events as scanner.ts, produced by saxes (a complete, conformant XML parser). Used as the reference the
 * fast scanner is checked against in tests, and selectable with `extract(…, { scanner: scanXmlWithSaxes })`.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { XMLNS_XSI, type XmlEvents } from './scanner.ts';

function isNil(tag: SaxesTagNS): boolean {
  for (const key in tag.attributes) {
    const a = tag.attributes[key]!;
    if (a.local === 'nil' && a.uri === XMLNS_XSI) return a.value.trim() === 'true';
  }
  return false;
}

export function scanXmlWithSaxes(xml: string, events: XmlEvents): void {
  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on('opentag', (tag) => events.open(tag.local, 0, tag.local.length, tag.uri, isNil(tag)));
  parser.on('text', (t) => {
    if (events.collecting) events.text(t);
  });
  parser.on('cdata', (t) => {
    if (events.collecting) events.text(t);
  });
  parser.on('closetag', () => events.close());
  parser.write(xml).close();
}
