import { callerOf, invalid } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { limitsFor } from '../db/quota-usage.repo.js';
import { findKeypair, type ServerInsert, type ServerRow } from '../db/servers.repo.js';
import { checkMetadataQuota } from '../domain/server-quota.js';
import {
  accessIpField,
  badField,
  boolField,
  descriptionField,
  diskConfigField,
  generatePassword,
  hostnameField,
  hostnameFromName,
  metadataField,
  nameField,
  type Obj,
  passwordField,
  refId,
  userDataField,
} from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { checkImage } from './server-common.js';

export interface RebuildArgs {
  imageId: string;
  adminPass: string;
  /** Columns the rebuild changes at once (Nova sets them in the API). */
  set: Partial<ServerInsert>;
  /** The new metadata, replacing the old, when given. */
  metadata?: Record<string, string>;
}

/** Validates a rebuild request (fields gated by microversion, as Nova's schemas). */
export async function rebuildArgs(
  ctx: ComputeContext,
  req: FastifyRequest,
  row: ServerRow,
  a: Obj,
): Promise<RebuildArgs> {
  const allowed = new Set([
    'imageRef',
    'name',
    'metadata',
    'adminPass',
    'accessIPv4',
    'accessIPv6',
    'OS-DCF:diskConfig',
    'preserve_ephemeral',
    'personality',
  ]);
  if (atLeast(req, '2.19')) allowed.add('description');
  if (atLeast(req, '2.54')) allowed.add('key_name');
  if (atLeast(req, '2.57')) {
    allowed.add('user_data');
    allowed.delete('personality');
  }
  if (atLeast(req, '2.63')) allowed.add('trusted_image_certificates');
  if (atLeast(req, '2.90')) allowed.add('hostname');
  for (const k of Object.keys(a))
    if (!allowed.has(k))
      throw invalid(
        `Invalid input for field/attribute rebuild. Additional properties are not allowed ('${k}' was unexpected)`,
      );
  if (a.imageRef === undefined || a.imageRef === null || a.imageRef === '')
    throw invalid("Invalid input for field/attribute rebuild. 'imageRef' is a required property");
  const imageId = refId('imageRef', a.imageRef);
  const set: Partial<ServerInsert> = { imageId };
  if (a.name !== undefined) {
    set.name = nameField('name', a.name);
    set.hostname = hostnameFromName(set.name, `server-${row.id}`);
  }
  if (a.hostname !== undefined) set.hostname = hostnameField(a.hostname);
  if (a.description !== undefined) set.description = descriptionField(a.description);
  if (a.accessIPv4 !== undefined) set.accessIpv4 = accessIpField('accessIPv4', a.accessIPv4);
  if (a.accessIPv6 !== undefined) set.accessIpv6 = accessIpField('accessIPv6', a.accessIPv6);
  if (a['OS-DCF:diskConfig'] !== undefined) set.diskConfig = diskConfigField(a['OS-DCF:diskConfig']);
  if (a.preserve_ephemeral !== undefined) boolField('preserve_ephemeral', a.preserve_ephemeral);
  if (a.user_data !== undefined) set.userData = userDataField(a.user_data);
  if (a.trusted_image_certificates !== undefined && a.trusted_image_certificates !== null)
    throw invalid('Trusted image certificates are not supported.');
  if (a.key_name !== undefined) {
    if (a.key_name === null) {
      set.keyName = null;
      set.keyData = null;
    } else {
      if (typeof a.key_name !== 'string')
        throw badField('key_name', a.key_name, "is not of type 'string', 'null'");
      const kp = await findKeypair(ctx.db, callerOf(req).user.id, a.key_name);
      if (!kp) throw invalid(`Invalid key_name provided: keypair ${a.key_name} not found.`);
      set.keyName = kp.name;
      set.keyData = kp.publicKey;
    }
  }
  let metadata: Record<string, string> | undefined;
  if (a.metadata !== undefined) {
    metadata = metadataField('metadata', a.metadata);
    const { metadata_items: limit } = await limitsFor(ctx.db, row.projectId, ctx.settings.quotaDefaults, [
      'metadata_items',
    ] as const);
    checkMetadataQuota(Object.keys(metadata).length, limit);
  }
  await checkImage(ctx, req, imageId, row.flavor);
  const adminPass = (a.adminPass === undefined ? '' : passwordField(a.adminPass)) || generatePassword();
  return { imageId, adminPass, set, metadata };
}
