import {
  addressPairsNeedPortSecurity,
  conflictOf,
  macInUse,
  portHasSecurityGroups,
  sgNeedsPortSecurity,
} from '../domain/errors.js';
import { portStatusOf } from '../domain/port-view.js';
import type { NetworkTx } from './database.js';
import { type FixedIpRequest, updateFixedIpsTx } from './fixed-ips.repo.js';
import { fixedIpsOf } from './ipam.repo.js';
import {
  macTaken,
  type PortRecord,
  securityGroupIdsOf,
  setSecurityGroupsTx,
  updatePortRowTx,
} from './ports.repo.js';
import type { AddressPair, PortRow } from './schema.js';
import { checkSecurityGroupsUsable } from './security-groups.repo.js';

export interface PortChanges {
  name?: string;
  description?: string;
  adminStateUp?: boolean;
  macAddress?: string;
  fixedIps?: FixedIpRequest[];
  deviceId?: string;
  deviceOwner?: string;
  /** null or []: none. */
  securityGroupIds?: string[] | null;
  portSecurityEnabled?: boolean;
  allowedAddressPairs?: AddressPair[];
  bindingHostId?: string;
  bindingProfile?: Record<string, unknown>;
  bindingVnicType?: string;
}

/**
 * Apply an update to a port locked by lockPortTx, with Neutron's rules: port security off needs
 * no security groups and no address pairs, a bound port keeps its MAC, fixed IPs are re-allocated
 * (kept where they match). Bumps the revision (also for group-only changes).
 */
export async function updatePortTx(
  tx: NetworkTx,
  port: PortRow,
  ch: PortChanges,
  isAdmin: boolean,
): Promise<PortRecord> {
  const currentSgs = (await securityGroupIdsOf(tx, [port.id])).get(port.id) ?? [];
  const portSecurity = ch.portSecurityEnabled ?? port.portSecurityEnabled;
  const sgsAfter = ch.securityGroupIds === undefined ? currentSgs : [...new Set(ch.securityGroupIds ?? [])];
  const mac = ch.macAddress ?? port.macAddress;
  const pairsAfter = (ch.allowedAddressPairs ?? port.allowedAddressPairs).map((p) => ({
    ...p,
    mac_address: p.mac_address || mac,
  }));
  if (!portSecurity) {
    if (sgsAfter.length) {
      throw ch.securityGroupIds === undefined ? portHasSecurityGroups() : sgNeedsPortSecurity();
    }
    if (pairsAfter.length) throw addressPairsNeedPortSecurity();
  }
  if (ch.securityGroupIds !== undefined && sgsAfter.length) {
    await checkSecurityGroupsUsable(tx, port.projectId, sgsAfter, isAdmin);
  }
  if (ch.macAddress !== undefined && ch.macAddress !== port.macAddress) {
    if (port.bindingHostId !== '') {
      throw conflictOf(
        'PortBound',
        `Unable to complete operation on port ${port.id}, port is already bound, port type: ovs, old_mac ${port.macAddress}, new_mac ${ch.macAddress}.`,
      );
    }
    if (await macTaken(tx, port.networkId, ch.macAddress, port.id))
      throw macInUse(port.networkId, ch.macAddress);
  }
  const deviceOwner = ch.deviceOwner ?? port.deviceOwner;
  const fixedIps =
    ch.fixedIps !== undefined
      ? await updateFixedIpsTx(
          tx,
          { id: port.id, networkId: port.networkId, macAddress: mac, deviceOwner },
          ch.fixedIps,
        )
      : ((await fixedIpsOf(tx, [port.id])).get(port.id) ?? []);
  const adminStateUp = ch.adminStateUp ?? port.adminStateUp;
  const bindingHostId = ch.bindingHostId ?? port.bindingHostId;
  const row = await updatePortRowTx(tx, port.id, {
    ...(ch.name !== undefined ? { name: ch.name } : {}),
    ...(ch.description !== undefined ? { description: ch.description } : {}),
    ...(ch.deviceId !== undefined ? { deviceId: ch.deviceId } : {}),
    ...(ch.deviceOwner !== undefined ? { deviceOwner: ch.deviceOwner } : {}),
    ...(ch.bindingProfile !== undefined ? { bindingProfile: ch.bindingProfile } : {}),
    ...(ch.bindingVnicType !== undefined ? { bindingVnicType: ch.bindingVnicType } : {}),
    macAddress: mac,
    adminStateUp,
    bindingHostId,
    portSecurityEnabled: portSecurity,
    allowedAddressPairs: pairsAfter,
    status:
      adminStateUp === port.adminStateUp &&
      bindingHostId === port.bindingHostId &&
      deviceOwner === port.deviceOwner
        ? port.status
        : portStatusOf({ adminStateUp, bindingHostId, deviceOwner }),
  });
  if (ch.securityGroupIds !== undefined) await setSecurityGroupsTx(tx, port.id, sgsAfter);
  return { ...row, fixedIps, securityGroupIds: [...sgsAfter].sort() };
}
