import { callerOf, forbidden, invalid, KumoError, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import {
  type ConfigOption,
  deleteConfigOptions,
  listConfigOptions,
  replaceConfig,
  upsertConfigOptions,
} from '../db/domain-configs.repo.js';
import { getDomain } from '../db/lookups.js';
import { storable } from '../db/regions.repo.js';
import {
  type ConfigValue,
  defaultConfig,
  defaultValue,
  isGroup,
  isOption,
  isSensitive,
  SECURITY_COMPLIANCE,
  securityComplianceOptions,
  valueProblem,
} from '../domain/domain-config-options.js';
import { parseBody } from '../http/body.js';

type Config = Record<string, Record<string, ConfigValue>>;
type Params = { id: string; group?: string; option?: string };

/** Keystone's InvalidDomainConfig is a 403, not a 400. */
const invalidConfig = (reason: string) => forbidden(`Invalid domain specific configuration: ${reason}.`);
const configNotFound = (domainId: string, what: string) =>
  new KumoError('not_found', `Could not find ${what} in domain configuration for domain ${domainId}.`);
const what = (group?: string, option?: string) =>
  option !== undefined
    ? `option ${option} in group ${group}`
    : group !== undefined
      ? `group ${group}`
      : 'any options';

function assertGroupAndOption(group?: string, option?: string): void {
  if (group !== undefined && !isGroup(group))
    throw invalidConfig(`Group ${group} is not supported for domain specific configurations`);
  if (group !== undefined && option !== undefined && !isOption(group, option))
    throw invalidConfig(
      `Option ${option} in group ${group} is not supported for domain specific configurations`,
    );
}

const bodySchema = z.looseObject({ config: z.record(z.string(), z.unknown()).optional() });

/** The body's `config`: a JSON object (400 otherwise); missing counts as empty (403 later, as Keystone). */
const bodyConfig = (body: unknown): Record<string, unknown> => parseBody(bodySchema, body).config ?? {};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keystone's structural checks (403): something to set, groups of options, only supported ones. */
function assertValidConfig(
  config: Record<string, unknown>,
): asserts config is Record<string, Record<string, unknown>> {
  if (Object.keys(config).length === 0) throw invalidConfig('No options specified');
  for (const [group, opts] of Object.entries(config)) {
    if (!isObject(opts) || Object.keys(opts).length === 0)
      throw invalidConfig(
        `The value of group ${group} specified in the config should be a dictionary of options`,
      );
    for (const option of Object.keys(opts)) assertGroupAndOption(group, option);
  }
}

/** The options to store; a value of the wrong type or size is a 400. */
function toOptions(config: Record<string, Record<string, unknown>>): ConfigOption[] {
  return Object.entries(config).flatMap(([group, opts]) =>
    Object.entries(opts).map(([option, value]) => {
      const problem = valueProblem(group, option, value);
      if (problem)
        throw invalid(`Invalid input for field 'config.${group}.${option}': ${problem}`, 'ValidationError');
      return { group, option, value: value as ConfigValue, sensitive: isSensitive(group, option) };
    }),
  );
}

function toConfig(options: ConfigOption[]): Config {
  const config: Config = {};
  for (const o of options) {
    config[o.group] ??= {};
    config[o.group]![o.option] = o.value;
  }
  return config;
}

export function domainConfigRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  const domainExists = async (id: string) => {
    if (!storable(id) || !(await getDomain(db, id))) throw notFound('domain', id);
  };
  const readable = async (id: string) => toConfig(await listConfigOptions(db, id, { sensitive: false }));

  /** GET /v3/domains/{id}/config[/{group}[/{option}]]: readable options only; nothing there is a 404. */
  const show = async (req: FastifyRequest<{ Params: Params }>) => {
    const { id, group, option } = req.params;
    if (group === SECURITY_COMPLIANCE) return { config: securityCompliance(req) };
    policy.authorize('identity:get_domain_config', callerOf(req), { domain: { id } });
    await domainExists(id);
    assertGroupAndOption(group, option);
    const rows = await listConfigOptions(db, id, { group, option, sensitive: false });
    if (rows.length === 0) throw configNotFound(id, what(group, option));
    return { config: option !== undefined ? { [option]: rows[0]!.value } : toConfig(rows) };
  };

  /** Keystone publishes the password rules of the default domain to every user: the operator's. */
  const { regex, regexDescription } = ctx.settings.passwordPolicy;
  const compliance: Record<string, ConfigValue> = {
    ...securityComplianceOptions,
    password_regex: regex,
    password_regex_description: regexDescription,
  };
  const securityCompliance = (req: FastifyRequest<{ Params: Params }>) => {
    const { id, option } = req.params;
    policy.authorize('identity:get_security_compliance_domain_config', callerOf(req), { domain: { id } });
    if (id !== 'default')
      throw invalidConfig(
        'Reading security compliance information for any domain other than the default domain is not allowed or supported',
      );
    if (option === undefined) return { [SECURITY_COMPLIANCE]: compliance };
    if (!Object.hasOwn(compliance, option))
      throw invalidConfig(
        'Reading security compliance values other than password_regex and password_regex_description is not allowed',
      );
    return { [option]: compliance[option] ?? null };
  };

  /** PATCH: merge into the configuration; a named group (or option) must be the only one sent and exist. */
  const update = async (req: FastifyRequest<{ Params: Params }>) => {
    const { id, group, option } = req.params;
    policy.authorize('identity:update_domain_config', callerOf(req), { domain: { id } });
    await domainExists(id);
    const raw = bodyConfig(req.body);
    const config = group !== undefined && option !== undefined ? { [group]: raw } : raw;
    assertValidConfig(config);
    assertGroupAndOption(group, option);
    if (group !== undefined) {
      const sent = Object.keys(config);
      if (sent.length !== 1 || sent[0] !== group)
        throw invalidConfig(
          `Trying to update group ${group}, so that, and only that, group must be specified in the config`,
        );
      const opts = Object.keys(config[group]!);
      if (option !== undefined && (opts.length !== 1 || opts[0] !== option))
        throw invalidConfig(
          `Trying to update option ${option} in group ${group}, so that, and only that, option must be specified in the config`,
        );
      if ((await listConfigOptions(db, id, { group, option })).length === 0)
        throw configNotFound(id, what(group, option));
    }
    await upsertConfigOptions(db, id, toOptions(config));
    return { config: await readable(id) };
  };

  /** DELETE: the whole configuration always succeeds; a named group or option must exist. */
  const remove = async (req: FastifyRequest<{ Params: Params }>) => {
    const { id, group, option } = req.params;
    policy.authorize('identity:delete_domain_config', callerOf(req), { domain: { id } });
    await domainExists(id);
    assertGroupAndOption(group, option);
    if (group !== undefined) {
      const cur = await listConfigOptions(db, id, { group });
      if (cur.length === 0) throw configNotFound(id, what(group));
      if (option !== undefined && !cur.some((o) => o.option === option))
        throw configNotFound(id, what(group, option));
    }
    await deleteConfigOptions(db, id, { group, option });
  };

  const paths = [
    '/v3/domains/:id/config',
    '/v3/domains/:id/config/:group',
    '/v3/domains/:id/config/:group/:option',
  ];
  for (const path of paths) {
    app.get<{ Params: Params }>(path, show);
    app.patch<{ Params: Params }>(path, update);
    app.delete<{ Params: Params }>(path, async (req, reply) => {
      await remove(req);
      return reply.code(204).send();
    });
  }

  /** PUT: create, replacing whatever was there (Keystone: 201 when new, 200 when it replaced one). */
  app.put<{ Params: { id: string } }>('/v3/domains/:id/config', async (req, reply) => {
    const { id } = req.params;
    policy.authorize('identity:create_domain_config', callerOf(req), { domain: { id } });
    await domainExists(id);
    const config = bodyConfig(req.body);
    assertValidConfig(config);
    const options = toOptions(config);
    const existed = (await listConfigOptions(db, id)).length > 0;
    await replaceConfig(db, id, options);
    return reply.code(existed ? 200 : 201).send({ config: await readable(id) });
  });

  app.get('/v3/domains/config/default', async (req) => {
    policy.authorize('identity:get_domain_config_default', callerOf(req));
    return { config: defaultConfig() };
  });

  app.get<{ Params: { group: string } }>('/v3/domains/config/:group/default', async (req) => {
    policy.authorize('identity:get_domain_config_default', callerOf(req));
    const { group } = req.params;
    assertGroupAndOption(group);
    return { config: defaultConfig(group) };
  });

  app.get<{ Params: { group: string; option: string } }>(
    '/v3/domains/config/:group/:option/default',
    async (req) => {
      policy.authorize('identity:get_domain_config_default', callerOf(req));
      const { group, option } = req.params;
      assertGroupAndOption(group, option);
      if (isSensitive(group, option))
        throw invalidConfig(`Reading the default for option ${option} in group ${group} is not supported`);
      return { config: { [option]: defaultValue(group, option) } };
    },
  );
}
