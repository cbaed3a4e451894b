import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OvnCentral, ovnCentralMissing, startOvnCentral } from '@kumo/ovn';
import { createLogger } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EXT,
  FIPPORT,
  fillSample,
  MemoryOvnSource,
  NET,
  RGW,
  RIF,
  ROUTER,
  SG,
  VM1,
  VM2,
} from './memory-source.testing.js';
import { createOvnSync, type OvnSync } from './ovn-sync.js';

const missing = ovnCentralMissing();
if (missing) console.warn(`skipping OVN sync tests against real OVN: ${missing}`);

describe.skipIf(missing !== undefined)('OVN sync against real OVN central', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-ovn-sync-'));
  const src = new MemoryOvnSource();
  let central: OvnCentral;
  let ovn: OvnSync;
  const nbctl = (...args: string[]) =>
    execFileSync('ovn-nbctl', [`--db=${central.nbSocket}`, '--timeout=5', ...args], {
      encoding: 'utf8',
    }).trim();
  const sbctl = (...args: string[]) =>
    execFileSync('ovn-sbctl', [`--db=${central.sbSocket}`, '--timeout=5', ...args], {
      encoding: 'utf8',
    }).trim();
  const bare = (out: string) => out.split('\n').filter((l) => l.trim() !== '');
  const kumoRows = (table: string) =>
    bare(nbctl('--bare', '--columns=_uuid', 'find', table, 'external_ids:kumo\\:owner!=""'));
  const requestAll = () => {
    for (const id of src.networks.keys()) ovn.sync.request('network', id);
    for (const id of src.securityGroups.keys()) ovn.sync.request('security_group', id);
    for (const id of src.ports.keys()) ovn.sync.request('port', id);
    for (const id of src.routers.keys()) ovn.sync.request('router', id);
    for (const id of src.floatingIps.keys()) ovn.sync.request('floating_ip', id);
  };

  beforeAll(async () => {
    central = await startOvnCentral({ dir, nbPort: 0, sbPort: 0 });
    ovn = await createOvnSync({
      nbConnection: central.nbSocket,
      source: src,
      log: createLogger({ service: 'network-ovn-test', level: 'silent' }),
      gatewayChassis: ['chassis-gw'],
      resyncIntervalMs: 0,
      backoff: { initialMs: 20, maxMs: 200 },
    });
  });

  afterAll(async () => {
    await ovn?.close();
    await central?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts on an empty NB: only the drop group', async () => {
    expect(bare(nbctl('--bare', '--columns=name', 'list', 'Port_Group'))).toEqual(['neutron_pg_drop']);
    expect(bare(nbctl('acl-list', 'neutron_pg_drop')).length).toBe(4);
  });

  it('writes switches, ports, DHCP, port groups, ACLs, router, gateway and NAT', async () => {
    fillSample(src);
    requestAll();
    await ovn.flush();
    expect(bare(nbctl('--bare', '--columns=name', 'list', 'Logical_Switch')).sort()).toEqual(
      [`neutron-${EXT}`, `neutron-${NET}`].sort(),
    );
    expect(nbctl('lsp-get-addresses', VM1)).toBe('fa:16:3e:00:00:01 10.0.0.11');
    expect(nbctl('lsp-get-port-security', VM1)).toBe('fa:16:3e:00:00:01 10.0.0.11');
    expect(nbctl('lsp-get-type', RIF)).toBe('router');
    expect(nbctl('lsp-get-options', RGW)).toContain(`router-port=lrp-${RGW}`);
    expect(nbctl('lsp-get-type', `provnet-${EXT}`)).toBe('localnet');
    expect(() => nbctl('lsp-get-type', FIPPORT)).toThrow(); // floating IP ports get no LSP
    // DHCP
    const dhcp = nbctl('lsp-get-dhcpv4-options', VM1);
    expect(dhcp).toContain('10.0.0.0/24');
    const opts = nbctl('dhcp-options-get-options', dhcp.split(/\s+/)[0] as string);
    expect(opts).toContain('router=10.0.0.1');
    expect(opts).toContain('dns_server=10.0.0.2');
    // security groups
    const pg = `pg_${SG.replace(/-/g, '_')}`;
    const members = nbctl('--bare', '--columns=ports', 'find', 'Port_Group', `name=${pg}`).split(
      /\s+/,
    ).length;
    expect(members).toBe(2);
    const acls = nbctl('acl-list', pg);
    expect(acls).toContain(`to-lport  1002 (outport == @${pg} && ip4 && tcp && tcp.dst == 22) allow-related`);
    expect(acls).toContain(`ip4.src == $${pg}_ip4`);
    expect(
      nbctl('--bare', '--columns=ports', 'find', 'Port_Group', 'name=neutron_pg_drop').split(/\s+/).length,
    ).toBe(2);
    // router
    expect(nbctl('lr-list')).toContain(`neutron-${ROUTER}`);
    expect(nbctl('lrp-get-gateway-chassis', `lrp-${RGW}`)).toContain('chassis-gw');
    expect(nbctl('lr-route-list', `neutron-${ROUTER}`)).toMatch(/0\.0\.0\.0\/0\s+172\.24\.4\.1/);
    const nat = nbctl('lr-nat-list', `neutron-${ROUTER}`);
    expect(nat).toMatch(/snat\s+172\.24\.4\.10\s+10\.0\.0\.0\/24/);
    expect(nat).toMatch(/dnat_and_snat\s+172\.24\.4\.20\s+10\.0\.0\.11/);
  });

  it('northd turns it into SB port bindings and logical flows', async () => {
    await vi.waitFor(
      () => {
        const bindings = sbctl('--bare', '--columns=logical_port', 'list', 'Port_Binding');
        for (const p of [VM1, VM2, RIF, `lrp-${RIF}`, `lrp-${RGW}`]) expect(bindings).toContain(p);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(
      Number(sbctl('--bare', '--columns=_uuid', 'list', 'Logical_Flow').split('\n').length),
    ).toBeGreaterThan(100);
  });

  it('re-syncing unchanged state makes no transaction; a full reconcile finds nothing to do', async () => {
    const before = ovn.stats().transactions;
    requestAll();
    await ovn.flush();
    expect(ovn.stats().transactions).toBe(before);
    expect(await ovn.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0 });
    expect(ovn.stats().transactions).toBe(before);
  });

  it('an update is one minimal transaction', async () => {
    const before = ovn.stats().transactions;
    const p = src.ports.get(VM2);
    if (p) p.adminStateUp = false;
    ovn.sync.request('port', VM2);
    await ovn.flush();
    expect(ovn.stats().transactions).toBe(before + 1);
    expect(nbctl('lsp-get-enabled', VM2)).toBe('disabled');
  });

  it('repairs a port deleted by hand in OVN', async () => {
    nbctl('lsp-del', VM1);
    await vi.waitFor(() => expect(nbctl('lsp-get-addresses', VM1)).toBe('fa:16:3e:00:00:01 10.0.0.11'), {
      timeout: 5000,
      interval: 50,
    });
    await ovn.flush();
    // memberships came back too
    const pg = `pg_${SG.replace(/-/g, '_')}`;
    expect(nbctl('--bare', '--columns=ports', 'find', 'Port_Group', `name=${pg}`).split(/\s+/).length).toBe(
      2,
    );
  });

  it('repairs a changed ACL and a deleted NAT rule', async () => {
    const pg = `pg_${SG.replace(/-/g, '_')}`;
    nbctl('acl-del', pg, 'to-lport', '1002', `outport == @${pg} && ip4 && tcp && tcp.dst == 22`);
    nbctl('lr-nat-del', `neutron-${ROUTER}`, 'snat', '10.0.0.0/24');
    await vi.waitFor(
      () => {
        expect(nbctl('acl-list', pg)).toContain('tcp.dst == 22');
        expect(nbctl('lr-nat-list', `neutron-${ROUTER}`)).toMatch(/snat\s+172\.24\.4\.10\s+10\.0\.0\.0\/24/);
      },
      { timeout: 5000, interval: 50 },
    );
  });

  it('deletes a stray Kumo-tagged switch and never touches untagged rows', async () => {
    nbctl('ls-add', 'manual-switch');
    nbctl('lsp-add', `neutron-${NET}`, 'manual-port');
    nbctl(
      'ls-add',
      'stray',
      '--',
      'set',
      'Logical_Switch',
      'stray',
      'external_ids:kumo\\:owner=network:ghost',
      'external_ids:kumo\\:rid=ls',
    );
    await vi.waitFor(() => expect(nbctl('ls-list')).not.toContain('stray'), { timeout: 5000, interval: 50 });
    await ovn.flush();
    const r = await ovn.reconcile();
    expect(r).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(nbctl('ls-list')).toContain('manual-switch');
    expect(nbctl('lsp-list', `neutron-${NET}`)).toContain('manual-port');
  });

  it('a restarted sync reconciles drift made while it was away and reports it', async () => {
    await ovn.close();
    nbctl('lsp-del', VM2);
    nbctl(
      'ls-add',
      'stray2',
      '--',
      'set',
      'Logical_Switch',
      'stray2',
      'external_ids:kumo\\:owner=network:ghost2',
      'external_ids:kumo\\:rid=ls',
    );
    nbctl('set', 'Logical_Router', `neutron-${ROUTER}`, 'options:dynamic_neigh_routers=false');
    ovn = await createOvnSync({
      nbConnection: central.nbSocket,
      source: src,
      log: createLogger({ service: 'network-ovn-test', level: 'silent' }),
      gatewayChassis: ['chassis-gw'],
      resyncIntervalMs: 0,
      reconcileOnStart: false,
    });
    const r = await ovn.reconcile();
    // VM2's LSP created (plus its two group memberships), the stray deleted, the router option reset
    expect(r).toMatchObject({ created: 1, deleted: 1, failed: 0 });
    expect(r.updated).toBeGreaterThanOrEqual(1);
    expect(nbctl('ls-list')).not.toContain('stray2');
    expect(nbctl('lsp-get-enabled', VM2)).toBe('disabled');
    expect(nbctl('get', 'Logical_Router', `neutron-${ROUTER}`, 'options:dynamic_neigh_routers')).toBe(
      '"true"',
    );
  });

  it('re-syncs everything after the NB connection drops', async () => {
    const last = ovn.stats().lastReconcile;
    execFileSync('ovs-appctl', ['-t', join(dir, 'ovnnb_db.ctl'), 'ovsdb-server/reconnect']);
    await vi.waitFor(() => expect(ovn.stats().lastReconcile).not.toBe(last), {
      timeout: 10_000,
      interval: 50,
    });
    expect(ovn.stats().lastReconcile).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it('deleting every Neutron object removes every Kumo row and nothing else', async () => {
    const owners = await src.all();
    src.networks.clear();
    src.ports.clear();
    src.securityGroups.clear();
    src.routers.clear();
    src.floatingIps.clear();
    for (const f of owners.floatingIps) ovn.sync.request('floating_ip', f.id);
    for (const r of owners.routers) ovn.sync.request('router', r.id);
    for (const p of owners.ports) ovn.sync.request('port', p.id);
    for (const s of owners.securityGroups) ovn.sync.request('security_group', s.id);
    for (const n of owners.networks) ovn.sync.request('network', n.id);
    await ovn.flush();
    for (const t of [
      'Logical_Switch',
      'Logical_Switch_Port',
      'DHCP_Options',
      'Logical_Router',
      'NAT',
      'ACL',
    ]) {
      const rows = kumoRows(t);
      // the global drop group and its ACLs stay
      if (t === 'ACL') expect(rows).toHaveLength(4);
      else expect(rows).toEqual([]);
    }
    expect(nbctl('ls-list')).toContain('manual-switch');
    expect(await ovn.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });
});
