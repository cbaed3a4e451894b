import { describe, expect, it } from 'vitest';
import { domainName, domainUuid, instanceOf, instancePaths } from './naming.js';
import { child, children, esc, parseXml } from './xml.js';

describe('xml', () => {
  it('escapes text and attributes', () => {
    expect(esc(`a<b>&'"`)).toBe('a&lt;b&gt;&amp;&apos;&quot;');
  });

  it('parses what virsh prints: attributes, nesting, entities, comments', () => {
    const doc = parseXml(`<?xml version="1.0"?>
<!-- comment -->
<domain type='kvm' id="3">
  <name>a &amp; b</name>
  <devices><disk device='disk'><target dev='vda'/></disk><disk device='cdrom'/></devices>
  <![CDATA[<raw>]]>
</domain>`);
    expect(doc.attrs).toEqual({ type: 'kvm', id: '3' });
    expect(child(doc, 'name')?.text).toBe('a & b');
    expect(child(doc, 'devices/disk/target')?.attrs.dev).toBe('vda');
    expect(children(child(doc, 'devices'), 'disk')).toHaveLength(2);
    expect(doc.text).toContain('<raw>');
  });

  it('refuses unbalanced documents', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/unbalanced/);
    expect(() => parseXml('<a>')).toThrow(/unterminated/);
  });
});

describe('naming', () => {
  it('domain names are kumo-<id>, and only valid ids map back', () => {
    expect(domainName('abc')).toBe('kumo-abc');
    expect(() => domainName('../x')).toThrow(/invalid/);
    expect(instanceOf('kumo-abc')).toBe('abc');
    expect(instanceOf('kumo-a/b')).toBeUndefined();
    expect(instanceOf('other')).toBeUndefined();
  });

  it('domain UUIDs: the instance UUID itself, else a stable derived one', () => {
    expect(domainUuid('6F2B1C3E-9A47-4D55-8A1E-2B7C4F0E9D11')).toBe('6f2b1c3e-9a47-4d55-8a1e-2b7c4f0e9d11');
    const u = domainUuid('i-1');
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(domainUuid('i-1')).toBe(u);
    expect(domainUuid('i-2')).not.toBe(u);
  });

  it('instance files stay inside the instances directory', () => {
    expect(instancePaths('/var/lib/kumo/instances', 'i-1').consoleLog).toBe(
      '/var/lib/kumo/instances/i-1/console.log',
    );
    expect(() => instancePaths('/var/lib/kumo/instances', '..')).toThrow(/invalid/);
  });
});
