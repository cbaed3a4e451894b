import { callerOf, forbidden, invalid } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from '../context.js';
import { limitsFor } from '../db/quota-usage.repo.js';
import {
  createServers,
  findFlavor,
  findKeypair,
  findServerGroup,
  newReservationId,
  newServerId,
} from '../db/servers.repo.js';
import { checkMetadataQuota } from '../domain/server-quota.js';
import {
  accessIpField,
  badField,
  boolField,
  countField,
  descriptionField,
  diskConfigField,
  generatePassword,
  hostnameField,
  hostnameFromName,
  isObj,
  isUuid,
  metadataField,
  nameField,
  type Obj,
  passwordField,
  refId,
  requireEnvelope,
  tagsField,
  userDataField,
} from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { baseUrl, resourceLinks } from '../http/nova-request.js';
import { checkImage, dispatchAll, isComputeAdmin, projectOf } from './server-common.js';
import { parseNetworks, resolveNetworks, resolveSecurityGroups } from './server-networks.js';

const KNOWN = new Set([
  'name',
  'imageRef',
  'flavorRef',
  'networks',
  'key_name',
  'user_data',
  'metadata',
  'config_drive',
  'availability_zone',
  'min_count',
  'max_count',
  'return_reservation_id',
  'adminPass',
  'description',
  'tags',
  'accessIPv4',
  'accessIPv6',
  'OS-DCF:diskConfig',
  'security_groups',
  'block_device_mapping',
  'block_device_mapping_v2',
  'personality',
  'hostname',
  'trusted_image_certificates',
]);

/** Only the image-backed local root disk exists until the storage service: volumes are refused. */
function checkBlockDevices(s: Obj): void {
  for (const key of ['block_device_mapping', 'block_device_mapping_v2']) {
    const v = s[key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw badField(key, v, "is not of type 'array'");
    for (const b of v) {
      if (!isObj(b)) throw badField(key, b, "is not of type 'object'");
      const volume =
        b.destination_type === 'volume' ||
        ['volume', 'snapshot', 'blank'].includes(String(b.source_type ?? '')) ||
        b.volume_id !== undefined;
      if (volume) throw invalid('Block device mappings with volumes are not available yet.');
    }
  }
}

export function serverCreateRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.post('/v2.1/servers', async (req, reply) => {
    const tok = callerOf(req);
    const projectId = projectOf(tok);
    ctx.policy.authorize('os_compute_api:servers:create', tok, { project_id: projectId });
    const admin = isComputeAdmin(ctx, tok);
    const s = requireEnvelope(req.body, 'server');
    for (const k of Object.keys(s)) {
      const gated =
        (k === 'description' && !atLeast(req, '2.19')) ||
        (k === 'tags' && !atLeast(req, '2.52')) ||
        (k === 'hostname' && !atLeast(req, '2.90'));
      const gone = k === 'personality' && atLeast(req, '2.57');
      if (!KNOWN.has(k) || gated || gone)
        throw invalid(
          `Invalid input for field/attribute server. Additional properties are not allowed ('${k}' was unexpected)`,
        );
    }
    if (s.name === undefined)
      throw invalid("Invalid input for field/attribute server. 'name' is a required property");
    const name = nameField('name', s.name);
    if (s.flavorRef === undefined)
      throw invalid("Invalid input for field/attribute server. 'flavorRef' is a required property");
    const flavorId = refId('flavorRef', s.flavorRef);
    const requestedNetworks = parseNetworks(req, s.networks);
    checkBlockDevices(s);
    if (s.trusted_image_certificates !== undefined && s.trusted_image_certificates !== null)
      throw invalid('Trusted image certificates are not supported.');
    const minCount = s.min_count === undefined ? 1 : countField('min_count', s.min_count);
    const maxCount = s.max_count === undefined ? minCount : countField('max_count', s.max_count);
    if (minCount > maxCount) throw invalid('min_count must be <= max_count');
    if (maxCount > 1000) throw badField('max_count', maxCount, 'is greater than the maximum of 1000');
    const hostname = s.hostname === undefined ? undefined : hostnameField(s.hostname);
    if (hostname !== undefined && maxCount > 1)
      throw invalid(
        'Unable to allocate a hostname for multiple instances: hostname may only be set when max_count is 1.',
      );
    const metadata = s.metadata === undefined ? {} : metadataField('metadata', s.metadata);
    const tags = s.tags === undefined ? [] : tagsField(s.tags);
    const userData = s.user_data === undefined ? null : userDataField(s.user_data);
    const configDrive = s.config_drive === undefined ? false : boolField('config_drive', s.config_drive);
    const description = s.description === undefined ? null : descriptionField(s.description);
    const accessIpv4 = s.accessIPv4 === undefined ? null : accessIpField('accessIPv4', s.accessIPv4);
    const accessIpv6 = s.accessIPv6 === undefined ? null : accessIpField('accessIPv6', s.accessIPv6);
    const diskConfig =
      s['OS-DCF:diskConfig'] === undefined ? 'MANUAL' : diskConfigField(s['OS-DCF:diskConfig']);
    const returnReservation =
      s.return_reservation_id === undefined
        ? false
        : boolField('return_reservation_id', s.return_reservation_id);
    const adminPass = (s.adminPass === undefined ? '' : passwordField(s.adminPass)) || generatePassword();

    // availability_zone: "az", "az:host" (admin forces a host), "az::node"
    let az: string | null = null;
    let forceHost: string | undefined;
    if (s.availability_zone !== undefined && s.availability_zone !== null) {
      if (typeof s.availability_zone !== 'string' || s.availability_zone.length > 255)
        throw badField('availability_zone', s.availability_zone, "is not of type 'string'");
      const [zone = '', host = '', node = ''] = s.availability_zone.split(':');
      az = zone || null;
      if (host || node) {
        if (!ctx.policy.enforce('os_compute_api:servers:create:forced_host', tok))
          throw forbidden('Only administrators may force a host with availability_zone "zone:host".');
        forceHost = host || node;
      }
      if (az) {
        const zones = await ctx.scheduler.availabilityZones();
        if (!zones.some((z) => z.name === az))
          throw invalid(`The requested availability zone is not available: ${az}.`);
      }
    }

    const flavor = await findFlavor(ctx.db, flavorId, { projectId, isAdmin: admin });
    if (!flavor) throw invalid(`Flavor ${flavorId} could not be found.`);
    if (s.imageRef === undefined || s.imageRef === '' || s.imageRef === null)
      throw invalid('imageRef is required: booting from a volume is not available yet.');
    const imageId = refId('imageRef', s.imageRef);
    await checkImage(ctx, req, imageId, flavor);

    let keyName: string | null = null;
    let keyData: string | null = null;
    if (s.key_name !== undefined && s.key_name !== null) {
      if (typeof s.key_name !== 'string') throw badField('key_name', s.key_name, "is not of type 'string'");
      const kp = await findKeypair(ctx.db, tok.user.id, s.key_name);
      if (!kp) throw invalid(`Invalid key_name provided: keypair ${s.key_name} not found.`);
      keyName = kp.name;
      keyData = kp.publicKey;
    }

    const root = req.body as Obj;
    const hints = root['OS-SCH-HNT:scheduler_hints'] ?? root['os:scheduler_hints'];
    let groupId: string | undefined;
    if (hints !== undefined) {
      if (!isObj(hints)) throw badField('OS-SCH-HNT:scheduler_hints', hints, "is not of type 'object'");
      if (hints.group !== undefined) {
        if (!isUuid(hints.group))
          throw badField('OS-SCH-HNT:scheduler_hints.group', hints.group, "is not a 'uuid'");
        const g = await findServerGroup(ctx.db, hints.group.toLowerCase());
        if (!g || (!admin && g.projectId !== projectId))
          throw invalid(`Instance group ${hints.group} could not be found.`);
        groupId = g.id;
      }
    }

    const networks = await resolveNetworks(ctx, req, requestedNetworks, projectId, maxCount);
    const groups = await resolveSecurityGroups(ctx, req, s.security_groups, projectId);

    const { metadata_items: metaLimit } = await limitsFor(ctx.db, projectId, ctx.settings.quotaDefaults, [
      'metadata_items',
    ] as const);
    checkMetadataQuota(Object.keys(metadata).length, metaLimit);

    const reservationId = newReservationId();
    const candidates = Array.from({ length: maxCount }, (_, i) => {
      const id = newServerId();
      const n = maxCount > 1 ? `${name}-${i + 1}` : name;
      return { id, name: n, hostname: hostname ?? hostnameFromName(n, `server-${id}`) };
    });
    const { rows, taskIds } = await createServers(ctx.db, {
      projectId,
      userId: tok.user.id,
      requestId: req.id,
      common: {
        flavor,
        imageId,
        keyName,
        keyData,
        userData,
        configDrive,
        availabilityZone: az,
        networks,
        securityGroups: groups.names,
        vmState: 'building',
        taskState: 'scheduling',
        powerState: 0,
        description,
        accessIpv4,
        accessIpv6,
        diskConfig,
        reservationId,
      },
      candidates,
      minCount,
      metadata,
      tags,
      groupId,
      quotaDefaults: ctx.settings.quotaDefaults,
      buildParams: () => ({
        adminPass,
        ...(forceHost ? { forceHost } : {}),
        ...(groups.ids ? { securityGroupIds: groups.ids } : {}),
      }),
    });
    await dispatchAll(ctx, req, taskIds);

    reply.code(202);
    if (returnReservation) return { reservation_id: reservationId };
    const first = rows[0]!;
    reply.header('location', `${baseUrl(req)}/v2.1/servers/${first.id}`);
    return {
      server: {
        id: first.id,
        links: resourceLinks(req, 'servers', first.id),
        'OS-DCF:diskConfig': diskConfig,
        security_groups: groups.names,
        adminPass,
      },
    };
  });
}
