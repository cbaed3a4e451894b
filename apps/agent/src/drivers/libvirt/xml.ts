/**
 * Just enough XML for libvirt: escaping for what we generate, and a small
 * tolerant parser for what `virsh dumpxml` prints (elements, attributes, text;
 * comments, processing instructions and CDATA are skipped or kept as text).
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  "'": '&apos;',
  '"': '&quot;',
};

/** Escape text or an attribute value (quotes included). */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>'"]/g, (c) => ESCAPES[c] ?? c);
}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

const ATTR = /([^\s=]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;

/** Parse a document; returns its root element. Throws on unbalanced tags. */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const top = stack[stack.length - 1] as XmlElement;
    if (lt < 0) {
      top.text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i) top.text += decodeEntities(xml.slice(i, lt));
    if (xml.startsWith('<!--', lt)) {
      i = end(xml, '-->', lt);
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const close = end(xml, ']]>', lt);
      top.text += xml.slice(lt + 9, close - 3);
      i = close;
    } else if (xml.startsWith('<?', lt) || xml.startsWith('<!', lt)) {
      i = end(xml, '>', lt);
    } else if (xml.startsWith('</', lt)) {
      const close = end(xml, '>', lt);
      const name = xml.slice(lt + 2, close - 1).trim();
      if (stack.length < 2 || top.name !== name) throw new Error(`unbalanced XML at </${name}>`);
      stack.pop();
      i = close;
    } else {
      const close = end(xml, '>', lt);
      let body = xml.slice(lt + 1, close - 1);
      const selfClosing = body.endsWith('/');
      if (selfClosing) body = body.slice(0, -1);
      const m = /^[^\s/>]+/.exec(body);
      if (!m) throw new Error('bad XML tag');
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      for (const a of body.slice(m[0].length).matchAll(ATTR)) {
        el.attrs[a[1] as string] = decodeEntities(a[2] ?? a[3] ?? '');
      }
      top.children.push(el);
      if (!selfClosing) stack.push(el);
      i = close;
    }
  }
  if (stack.length !== 1) throw new Error('unterminated XML');
  const first = root.children[0];
  if (!first) throw new Error('empty XML');
  return first;
}

function end(xml: string, token: string, from: number): number {
  const at = xml.indexOf(token, from);
  if (at < 0) throw new Error(`unterminated XML (expected ${token})`);
  return at + token.length;
}

/** The first child named `name` (a path like 'devices/disk' walks down). */
export function child(el: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = el;
  for (const part of path.split('/')) {
    cur = cur?.children.find((c) => c.name === part);
  }
  return cur;
}

/** All children named `name`. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}
