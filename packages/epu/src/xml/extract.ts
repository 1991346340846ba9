/**
 * A streaming, namespace-aware extractor: each EPU file type declares the element paths it wants (as
 * `ALIAS:local/ALIAS:local/…`, matched on namespace URI + local name, never on prefix text) and what to do on
 * entering an element, on its trimmed text, and on leaving it. The paths are compiled once into a trie; while
 * parsing, only elements under a matched path are looked up, everything else is skipped.
 *
 * Path steps: `ALIAS:Name` exact; `ALIAS:Prefix*` any local name starting with Prefix (the .NET
 * `KeyValuePairOf…<hash>` dictionaries); `*` any element. Alias `NONE` is the empty namespace.
 */
import { EpuParseError } from '../errors.ts';
import { NS, type NsAlias } from './namespaces.ts';
import { scanXml, type XmlEvents } from './scanner.ts';

export interface Rule<S> {
  /** On the start tag; `nil` is true for `i:nil="true"` (unused `_items` slots, absent values). */
  open?: (state: S, nil: boolean) => void;
  /** On the end tag, with the element's own text, trimmed (empty string for an empty or nil element). */
  text?: (state: S, value: string) => void;
  /** On the end tag, after `text`. */
  close?: (state: S) => void;
}

interface TrieNode<S> {
  exact: Map<string, { uri: string; node: TrieNode<S> }[]>;
  prefixed: { prefix: string; uri: string; node: TrieNode<S> }[];
  any?: TrieNode<S>;
  rule?: Rule<S>;
}

export interface Schema<S> {
  readonly root: TrieNode<S>;
  /** Human-readable expected root element, for the wrong-root error. */
  readonly expectedRoot: string;
}

function newNode<S>(): TrieNode<S> {
  return { exact: new Map(), prefixed: [] };
}

function childFor<S>(parent: TrieNode<S>, step: string): TrieNode<S> {
  if (step === '*') return (parent.any ??= newNode());
  const colon = step.indexOf(':');
  if (colon < 0) throw new Error(`schema step without namespace alias: ${step}`);
  const alias = step.slice(0, colon) as NsAlias;
  const uri = NS[alias];
  if (uri === undefined) throw new Error(`unknown namespace alias in schema: ${alias}`);
  const local = step.slice(colon + 1);
  if (local.endsWith('*')) {
    const prefix = local.slice(0, -1);
    let entry = parent.prefixed.find((p) => p.prefix === prefix && p.uri === uri);
    if (!entry) parent.prefixed.push((entry = { prefix, uri, node: newNode() }));
    return entry.node;
  }
  let list = parent.exact.get(local);
  if (!list) parent.exact.set(local, (list = []));
  let entry = list.find((e) => e.uri === uri);
  if (!entry) list.push((entry = { uri, node: newNode() }));
  return entry.node;
}

/** Compiles `{ 'EPU:Root/EPU:Child': rule, … }` into a trie. */
export function compileSchema<S>(rules: Record<string, Rule<S>>): Schema<S> {
  const root = newNode<S>();
  let expectedRoot = '';
  for (const [path, rule] of Object.entries(rules)) {
    let node = root;
    const steps = path.split('/');
    expectedRoot ||= steps[0] ?? '';
    for (const step of steps) node = childFor(node, step);
    node.rule = { ...node.rule, ...rule };
  }
  const [alias, local] = expectedRoot.split(':') as [NsAlias, string];
  return { root, expectedRoot: `<${local}> in namespace ${NS[alias] || '(none)'}` };
}

function matchChild<S>(parent: TrieNode<S>, uri: string, local: string): TrieNode<S> | undefined {
  const list = parent.exact.get(local);
  if (list) {
    for (let i = 0; i < list.length; i++) if (list[i]!.uri === uri) return list[i]!.node;
  }
  for (let i = 0; i < parent.prefixed.length; i++) {
    const p = parent.prefixed[i]!;
    if (p.uri === uri && local.startsWith(p.prefix)) return p.node;
  }
  return parent.any;
}

/** Decodes a file's bytes as UTF-8 without a BOM. */
export function decodeXml(xml: string | Buffer | Uint8Array): string {
  const text = typeof xml === 'string' ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export type XmlScanner = (xml: string, events: XmlEvents) => void;

/**
 * Parses `xml` completely (a truncated or malformed document is an error, never a partial result) and feeds
 * the schema's rules. Throws EpuParseError naming `path`.
 */
export function extract<S>(xml: string | Buffer | Uint8Array, path: string, schema: Schema<S>, state: S, scanner: XmlScanner = scanXml): S {
  const text = decodeXml(xml);
  if (text.trim() === '') throw new EpuParseError(path, 'empty file');
  // One entry per open element: the trie node it matched, or undefined when nothing below it is wanted.
  const stack: (TrieNode<S> | undefined)[] = [];
  let buffer = '';
  const events: XmlEvents = {
    collecting: false,
    open(source, localStart, localEnd, uri, nil) {
      let node: TrieNode<S> | undefined;
      if (stack.length === 0) {
        const local = source.slice(localStart, localEnd);
        node = matchChild(schema.root, uri, local);
        if (!node) {
          throw new EpuParseError(path, `wrong root element <${local}> in namespace ${uri || '(none)'}, expected ${schema.expectedRoot}`);
        }
      } else {
        const parent = stack[stack.length - 1];
        node = parent ? matchChild(parent, uri, source.slice(localStart, localEnd)) : undefined;
      }
      stack.push(node);
      const rule = node?.rule;
      if (rule?.open) rule.open(state, nil);
      this.collecting = rule?.text !== undefined;
      buffer = '';
    },
    text(t) {
      buffer += t;
    },
    close() {
      const rule = stack.pop()?.rule;
      if (rule) {
        if (rule.text) rule.text(state, this.collecting ? buffer.trim() : '');
        if (rule.close) rule.close(state);
      }
      this.collecting = false;
      buffer = '';
    },
  };
  try {
    scanner(text, events);
  } catch (error) {
    if (error instanceof EpuParseError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new EpuParseError(path, `not well-formed XML (truncated or corrupt?): ${message}`, { cause: error });
  }
  return state;
}
