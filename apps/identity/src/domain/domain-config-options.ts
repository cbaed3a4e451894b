/**
 * The options a domain-specific configuration may set, as Keystone's DomainConfigManager lists them
 * (keystone/resource/core.py): only what the domain-specific identity drivers read. Each carries the
 * oslo.config type Keystone declares and Keystone's default (keystone/conf/identity.py, ldap.py).
 */
export type OptionKind = 'str' | 'int' | 'float' | 'bool' | 'list';
export type ConfigValue = string | number | boolean | null | string[];

interface OptionSpec {
  kind: OptionKind;
  default: ConfigValue;
  /** Stored, never returned (Keystone's sensitive options). */
  sensitive?: true;
}

const str = (d: string | null = null): OptionSpec => ({ kind: 'str', default: d });
const int = (d: number | null = null): OptionSpec => ({ kind: 'int', default: d });
const bool = (d: boolean | null = null): OptionSpec => ({ kind: 'bool', default: d });
const list = (d: string[] = []): OptionSpec => ({ kind: 'list', default: d });

const OPTIONS: Record<string, Record<string, OptionSpec>> = {
  identity: { driver: str('sql'), list_limit: int() },
  ldap: {
    url: str('ldap://localhost'),
    user: str(),
    suffix: str('cn=example,cn=com'),
    query_scope: str('one'),
    page_size: int(0),
    alias_dereferencing: str('default'),
    debug_level: int(),
    chase_referrals: bool(),
    user_tree_dn: str(),
    user_filter: str(),
    user_objectclass: str('inetOrgPerson'),
    user_id_attribute: str('cn'),
    user_name_attribute: str('sn'),
    user_mail_attribute: str('mail'),
    user_description_attribute: str('description'),
    user_pass_attribute: str('userPassword'),
    user_enabled_attribute: str('enabled'),
    user_enabled_invert: bool(false),
    user_enabled_mask: int(0),
    user_enabled_default: str('True'),
    user_attribute_ignore: list(['default_project_id']),
    user_default_project_id_attribute: str(),
    user_enabled_emulation: bool(false),
    user_enabled_emulation_dn: str(),
    user_enabled_emulation_use_group_config: bool(false),
    user_additional_attribute_mapping: list(),
    group_tree_dn: str(),
    group_filter: str(),
    group_objectclass: str('groupOfNames'),
    group_id_attribute: str('cn'),
    group_name_attribute: str('ou'),
    group_members_are_ids: bool(false),
    group_member_attribute: str('member'),
    group_desc_attribute: str('description'),
    group_attribute_ignore: list(),
    group_additional_attribute_mapping: list(),
    tls_cacertfile: str(),
    tls_cacertdir: str(),
    use_tls: bool(false),
    tls_req_cert: str('demand'),
    use_pool: bool(true),
    pool_size: int(10),
    pool_retry_max: int(3),
    pool_retry_delay: { kind: 'float', default: 0.1 },
    pool_connection_timeout: int(-1),
    pool_connection_lifetime: int(600),
    use_auth_pool: bool(true),
    auth_pool_size: int(100),
    auth_pool_connection_lifetime: int(60),
    password: { kind: 'str', default: null, sensitive: true },
  },
};

/** Keystone's group-level answer for security compliance (readable on the default domain only). */
export const SECURITY_COMPLIANCE = 'security_compliance';
export const securityComplianceOptions: Record<string, ConfigValue> = {
  password_regex: null,
  password_regex_description: null,
};

const own = (o: object, k: string) => Object.hasOwn(o, k);

export const isGroup = (group: string): boolean => own(OPTIONS, group);
export const isOption = (group: string, option: string): boolean =>
  isGroup(group) && own(OPTIONS[group]!, option);
export const isSensitive = (group: string, option: string): boolean =>
  isOption(group, option) && OPTIONS[group]![option]!.sensitive === true;

/** The defaults of every readable (non-sensitive) option of a group, or of every group. */
export function defaultConfig(group?: string): Record<string, Record<string, ConfigValue>> {
  const groups = group === undefined ? Object.keys(OPTIONS) : [group];
  return Object.fromEntries(
    groups.map((g) => [
      g,
      Object.fromEntries(
        Object.entries(OPTIONS[g]!)
          .filter(([, spec]) => !spec.sensitive)
          .map(([o, spec]) => [o, spec.default]),
      ),
    ]),
  );
}

export const defaultValue = (group: string, option: string): ConfigValue => OPTIONS[group]![option]!.default;

/** Longest string a value (or list item) may hold; LDAP filters and DNs fit with room to spare. */
export const MAX_VALUE_LENGTH = 4096;
const MAX_LIST_ITEMS = 100;

const okString = (v: unknown): v is string =>
  typeof v === 'string' && v.length <= MAX_VALUE_LENGTH && !v.includes('\u0000');
const INT_RE = /^[+-]?\d{1,10}$/;
const isInt32 = (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 - 1;

/**
 * Why a value cannot be stored for an option, or undefined when it can. As oslo.config would parse
 * it later: numbers and booleans may also come as their string spellings; null unsets the option.
 */
export function valueProblem(group: string, option: string, value: unknown): string | undefined {
  if (value === null) return undefined;
  const { kind } = OPTIONS[group]![option]!;
  const tooLong = `must be at most ${MAX_VALUE_LENGTH} characters without NUL`;
  if (typeof value === 'string' && !okString(value)) return tooLong;
  switch (kind) {
    case 'str':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'int':
      if (typeof value === 'number') return isInt32(value) ? undefined : 'must be a 32-bit integer';
      return typeof value === 'string' && INT_RE.test(value.trim()) && isInt32(Number(value))
        ? undefined
        : 'must be an integer';
    case 'float':
      if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'must be a number';
      return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
        ? undefined
        : 'must be a number';
    case 'bool':
      if (typeof value === 'boolean') return undefined;
      return typeof value === 'string' && /^(true|false|yes|no|on|off|1|0)$/i.test(value.trim())
        ? undefined
        : 'must be a boolean';
    case 'list':
      if (typeof value === 'string') return undefined;
      if (!Array.isArray(value)) return 'must be a list of strings';
      if (value.length > MAX_LIST_ITEMS) return `must have at most ${MAX_LIST_ITEMS} items`;
      return value.every(okString) ? undefined : `items ${tooLong}`;
  }
}
