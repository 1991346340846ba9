// The fast scanner against saxes (a conformant XML parser): same events on every real sample and on tricky but
// well-formed documents; both reject the same broken ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scanXml, type XmlEvents } from './scanner.ts';
import { scanXmlWithSaxes } from './saxes-scanner.ts';

type Scanner = (xml: string, events: XmlEvents) => void;

function events(scanner: Scanner, xml: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  scanner(xml, {
    collecting: true,
    open: (src, start, end, uri, nil) => {
      depth++;
      out.push(['open', uri, src.slice(start, end), nil]);
    },
    text(t) {
      if (depth === 0) return; // saxes reports whitespace around the root; the scanner checks and drops it
      const last = out[out.length - 1] as unknown[] | undefined;
      if (last?.[0] === 'text') last[1] += t;
      else out.push(['text', t]);
    },
    close: () => {
      depth--;
      out.push(['close']);
    },
  });
  return out;
}

const WELL_FORMED = [
  '<a/>',
  '<?xml version="1.0" encoding="utf-8"?>\n<!-- c --><a xmlns="urn:x"><b xmlns="">t</b><?pi x?></a>\n',
  `<p:r xmlns:p='urn:p' xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><p:x i:nil="true"/><y q:nil="true" xmlns:q="http://www.w3.org/2001/XMLSchema-instance"/><z i:nil='false'></z></p:r>`,
  '<a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c/></p:b><p:d/></a>',
  '<a>x &lt;&gt;&amp;&quot;&apos; &#65;&#x42; <![CDATA[<raw>&amp;]]> y</a>',
  '<a  b = "1"\n c=\'2\' ><d   /></a   >',
  '<a>\u00e9\u4e2d\ud83d\ude00</a>',
];

const BROKEN = [
  '',
  '   ',
  '<a>',
  '<a><b></a>',
  '<a></b>',
  '<a>text',
  '<a/><b/>',
  'text<a/>',
  '<a/>text',
  '<p:a/>',
  '<a b="1" b="2"/>',
  '<a b=1/>',
  '<a b="1/>',
  '<a>&unknown;</a>',
  '<a>& </a>',
  '<a b="<"/>',
  '<a',
  '<a><!-- x</a>',
  '<a><![CDATA[x</a>',
  '</a>',
  '<a></a  b>',
];

test('the same events as saxes on tricky well-formed documents', () => {
  for (const xml of WELL_FORMED) assert.deepEqual(events(scanXml, xml), events(scanXmlWithSaxes, xml), xml);
});

test('rejects what saxes rejects', () => {
  for (const xml of BROKEN) {
    assert.throws(() => events(scanXmlWithSaxes, xml), Error, `saxes accepted ${JSON.stringify(xml)}`);
    assert.throws(() => events(scanXml, xml), Error, `scanner accepted ${JSON.stringify(xml)}`);
  }
  // Deliberately stricter than saxes: EPU never writes a DTD, and none is processed.
  assert.throws(() => events(scanXml, '<!DOCTYPE a><a/>'), /DOCTYPE/);
});

const SAMPLES = resolve(import.meta.dirname, '../../../../../shared/epu-samples');

test('the same events as saxes on every real EPU file, and on every truncation of one', {
  skip: existsSync(SAMPLES) ? false : `no samples at ${SAMPLES}`,
}, () => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.(xml|dm)$/.test(e.name)) files.push(join(dir, e.name));
    }
  };
  walk(SAMPLES);
  assert.ok(files.length > 200);
  for (const file of files) {
    const xml = readFileSync(file, 'utf8');
    assert.deepEqual(events(scanXml, xml), events(scanXmlWithSaxes, xml), file);
  }
  const small = readFileSync(files.find((f) => f.includes('/Data/FoilHole_'))!, 'utf8').trimEnd();
  for (let cut = 0; cut < small.length; cut += 7) {
    assert.throws(() => events(scanXml, small.slice(0, cut)), Error, `accepted a file cut at ${cut}`);
  }
});
