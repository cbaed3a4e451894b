import {
  isUuid,
  mapRecord,
  namedUuid,
  type OvsdbClient,
  ops,
  optional,
  ovsMap,
  ovsSet,
  type Row,
  setItems,
  type Uuid,
  where,
} from '@kumo/ovsdb';

/**
 * Open vSwitch configuration through OVSDB (the `Open_vSwitch` database of a chassis' ovsdb-server),
 * the way ovs-vsctl does it but in one transaction per step and without a process per call.
 * Bridge, Port and Interface are non-root tables: a Port lives while a Bridge references it.
 */
const DB = 'Open_vSwitch';

export interface OvsInterface {
  name: string;
  type: string;
  externalIds: Record<string, string>;
  /** The OpenFlow port number once ovs-vswitchd attached it; -1 when it failed. */
  ofport: number | undefined;
  error: string | undefined;
  bridge: string | undefined;
}

/** The single Open_vSwitch row's uuid, created when the database is empty (as `ovs-vsctl init`). */
export async function ensureOpenVswitchRow(client: OvsdbClient): Promise<Uuid> {
  const [sel] = await client.transact(DB, [ops.select(DB, [], ['_uuid'])]);
  const have = sel?.rows?.[0]?._uuid;
  if (isUuid(have)) return have;
  const r = await client
    .transact(DB, [ops.wait(DB, [], ['_uuid'], '==', [], 0), ops.insert(DB, {}, { uuidName: 'root' })])
    .catch(() => undefined); // lost a race with another writer: read theirs
  const made = r?.[1]?.uuid;
  if (made) return made;
  return ensureOpenVswitchRow(client);
}

/** Sets (and with `remove`, deletes) keys of Open_vSwitch external_ids; other keys stay. */
export async function setOvsExternalIds(
  client: OvsdbClient,
  set: Record<string, string>,
  remove: readonly string[] = [],
): Promise<void> {
  const root = await ensureOpenVswitchRow(client);
  const keys = [...new Set([...Object.keys(set), ...remove])];
  await client.transact(DB, [
    ops.mutate(DB, [where.uuid(root)], [['external_ids', 'delete', ovsSet(...keys)]]),
    ops.mutate(DB, [where.uuid(root)], [['external_ids', 'insert', ovsMap(set)]]),
  ]);
}

export async function getOvsExternalIds(client: OvsdbClient): Promise<Record<string, string>> {
  const [sel] = await client.transact(DB, [ops.select(DB, [], ['external_ids'])]);
  return mapRecord(sel?.rows?.[0]?.external_ids);
}

export interface BridgeSpec {
  name: string;
  /** 'system' (kernel) or 'netdev' (userspace). */
  datapathType: string;
  /** 'secure' for br-int (no normal switching without a controller), default standalone. */
  failMode?: 'secure' | 'standalone';
  externalIds?: Record<string, string>;
  otherConfig?: Record<string, string>;
}

/** Creates the bridge (with its internal port) when missing; updates its datapath type otherwise. */
export async function ensureBridge(client: OvsdbClient, spec: BridgeSpec): Promise<void> {
  const root = await ensureOpenVswitchRow(client);
  const [sel] = await client.transact(DB, [
    ops.select('Bridge', [where.eq('name', spec.name)], ['_uuid', 'datapath_type']),
  ]);
  const row = sel?.rows?.[0];
  const fields: Row = {
    datapath_type: spec.datapathType,
    fail_mode: spec.failMode ? spec.failMode : ovsSet(),
    ...(spec.externalIds ? { external_ids: ovsMap(spec.externalIds) } : {}),
    ...(spec.otherConfig ? { other_config: ovsMap(spec.otherConfig) } : {}),
  };
  if (row && isUuid(row._uuid)) {
    if (row.datapath_type !== spec.datapathType)
      await client.transact(DB, [ops.update('Bridge', [where.uuid(row._uuid)], fields)]);
    return;
  }
  await client.transact(DB, [
    // Atomic against a concurrent creator: fails (and we re-check) when the bridge appeared meanwhile.
    ops.wait('Bridge', [where.eq('name', spec.name)], ['name'], '==', [], 0),
    ops.insert('Interface', { name: spec.name, type: 'internal' }, { uuidName: 'iface' }),
    ops.insert('Port', { name: spec.name, interfaces: namedUuid('iface') }, { uuidName: 'port' }),
    ops.insert('Bridge', { name: spec.name, ports: namedUuid('port'), ...fields }, { uuidName: 'br' }),
    ops.mutate(DB, [where.uuid(root)], [['bridges', 'insert', ovsSet(namedUuid('br'))]]),
  ]);
}

export interface PortSpec {
  bridge: string;
  name: string;
  /** Interface type: '' (a kernel device: veth, tap), 'internal', 'patch', ... */
  type?: string;
  externalIds?: Record<string, string>;
  options?: Record<string, string>;
}

/**
 * Adds the port (one interface of the same name) to the bridge, or updates its interface's type,
 * external_ids and options when it exists there already. A port of that name on another bridge is
 * moved. Returns whether anything changed.
 */
export async function ensurePort(client: OvsdbClient, spec: PortSpec): Promise<boolean> {
  const [br, port, iface] = await client.transact(DB, [
    ops.select('Bridge', [where.eq('name', spec.bridge)], ['_uuid', 'ports']),
    ops.select('Port', [where.eq('name', spec.name)], ['_uuid']),
    ops.select('Interface', [where.eq('name', spec.name)], ['_uuid', 'type', 'external_ids', 'options']),
  ]);
  const bridge = br?.rows?.[0];
  if (!bridge || !isUuid(bridge._uuid)) throw new Error(`bridge ${spec.bridge} does not exist`);
  const ifaceFields: Row = {
    type: spec.type ?? '',
    external_ids: ovsMap(spec.externalIds ?? {}),
    options: ovsMap(spec.options ?? {}),
  };
  const portUuid = port?.rows?.[0]?._uuid;
  const onBridge =
    isUuid(portUuid) && setItems(bridge.ports).some((u) => isUuid(u) && u.value === portUuid.value);
  const ifRow = iface?.rows?.[0];
  if (onBridge && ifRow && isUuid(ifRow._uuid)) {
    const same =
      ifRow.type === (spec.type ?? '') &&
      sameRecord(mapRecord(ifRow.external_ids), spec.externalIds ?? {}) &&
      sameRecord(mapRecord(ifRow.options), spec.options ?? {});
    if (same) return false;
    await client.transact(DB, [ops.update('Interface', [where.uuid(ifRow._uuid)], ifaceFields)]);
    return true;
  }
  if (isUuid(portUuid)) await deletePort(client, spec.name);
  await client.transact(DB, [
    ops.wait('Port', [where.eq('name', spec.name)], ['name'], '==', [], 0),
    ops.insert('Interface', { name: spec.name, ...ifaceFields }, { uuidName: 'iface' }),
    ops.insert('Port', { name: spec.name, interfaces: namedUuid('iface') }, { uuidName: 'port' }),
    ops.mutate('Bridge', [where.uuid(bridge._uuid)], [['ports', 'insert', ovsSet(namedUuid('port'))]]),
  ]);
  return true;
}

/** Removes the port from whichever bridge has it (OVSDB then drops the Port and its Interface). */
export async function deletePort(client: OvsdbClient, name: string): Promise<boolean> {
  const [port] = await client.transact(DB, [ops.select('Port', [where.eq('name', name)], ['_uuid'])]);
  const u = port?.rows?.[0]?._uuid;
  if (!isUuid(u)) return false;
  await client.transact(DB, [ops.mutate('Bridge', [where.includes('ports', u)], [['ports', 'delete', u]])]);
  return true;
}

/** Every Interface with its bridge (found through Port → Bridge). */
export async function listInterfaces(client: OvsdbClient): Promise<OvsInterface[]> {
  const [ifs, ports, bridges] = await client.transact(DB, [
    ops.select('Interface', [], ['_uuid', 'name', 'type', 'external_ids', 'ofport', 'error']),
    ops.select('Port', [], ['_uuid', 'interfaces']),
    ops.select('Bridge', [], ['name', 'ports']),
  ]);
  const bridgeOfPort = new Map<string, string>();
  for (const b of bridges?.rows ?? [])
    for (const p of setItems(b.ports)) if (isUuid(p)) bridgeOfPort.set(p.value, String(b.name));
  const bridgeOfIface = new Map<string, string>();
  for (const p of ports?.rows ?? []) {
    const bridge = isUuid(p._uuid) ? bridgeOfPort.get(p._uuid.value) : undefined;
    for (const i of setItems(p.interfaces)) if (isUuid(i) && bridge) bridgeOfIface.set(i.value, bridge);
  }
  return (ifs?.rows ?? []).map((r) => {
    const ofport = optional(r.ofport);
    const error = optional(r.error);
    return {
      name: String(r.name),
      type: String(r.type ?? ''),
      externalIds: mapRecord(r.external_ids),
      ofport: typeof ofport === 'number' ? ofport : undefined,
      error: typeof error === 'string' ? error : undefined,
      bridge: isUuid(r._uuid) ? bridgeOfIface.get(r._uuid.value) : undefined,
    };
  });
}

/** Waits until ovs-vswitchd attached the interface (ofport > 0); throws with Interface.error. */
export async function waitInterfaceReady(
  client: OvsdbClient,
  name: string,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const [sel] = await client.transact(DB, [
      ops.select('Interface', [where.eq('name', name)], ['ofport', 'error']),
    ]);
    const row = sel?.rows?.[0];
    const ofport = optional(row?.ofport);
    const error = optional(row?.error);
    if (typeof error === 'string' && error) throw new Error(`interface ${name}: ${error}`);
    if (typeof ofport === 'number' && ofport > 0) return ofport;
    if (typeof ofport === 'number' && ofport < 0) throw new Error(`interface ${name} could not be attached`);
    if (Date.now() > deadline) throw new Error(`interface ${name} not attached after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(50, delay * 2);
  }
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
