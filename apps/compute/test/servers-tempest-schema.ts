import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';
const TEMPEST = '/usr/lib/python3/dist-packages/tempest/lib/api_schema/response/compute';

/** Tempest's response schemas are installed (Debian's tempest package) — the shape checks run only then. */
export const haveTempest = existsSync(PYTHON) && existsSync(TEMPEST);

const SCRIPT = `
import copy, importlib, json, sys
from tempest.lib.common.jsonschema_validator import JSONSCHEMA_VALIDATOR, FORMAT_CHECKER
req = json.load(sys.stdin)
out = []
for c in req:
    schema = getattr(importlib.import_module('tempest.lib.api_schema.response.compute.' + c['module']), c['name'])
    if c.get('fix'):
        schema = copy.deepcopy(schema)
        exec(c['fix'], {'s': schema, 'json': json})
    try:
        if c['status'] not in schema['status_code']:
            raise Exception('status %s not in %s' % (c['status'], schema['status_code']))
        if 'response_body' in schema:
            JSONSCHEMA_VALIDATOR(schema['response_body'], format_checker=FORMAT_CHECKER).validate(c['body'])
        out.append(None)
    except Exception as e:
        out.append('%s.%s: %s' % (c['module'], c['name'], str(e).split('\\n\\n')[0][:600]))
print(json.dumps(out))
`;

export interface SchemaCase {
  /** e.g. 'v2_1.servers', 'v2_79.servers' */
  module: string;
  /** e.g. 'get_server' */
  name: string;
  status: number;
  body: unknown;
  /**
   * Python statements that adapt a copy of the schema (bound to `s`) to a
   * newer microversion Tempest has no schema for, e.g. the fields 2.88 removed.
   */
  fix?: string;
}

/** Python for `fix`: drop properties (and their `required` entries) from the object schema at `path`. */
export const dropFields = (path: string, fields: string[]) =>
  `o = s${path}\nfor k in ${JSON.stringify(fields)}:\n    o['properties'].pop(k, None)\n    if k in o.get('required', []): o['required'].remove(k)\n`;

/** Python for `fix`: add properties (optionally required) to the object schema at `path`. */
export const addFields = (path: string, props: Record<string, unknown>, required = true) =>
  `o = s${path}\no['properties'].update(json.loads(${JSON.stringify(JSON.stringify(props))}))\n${
    required ? `o.setdefault('required', []).extend(${JSON.stringify(Object.keys(props))})\n` : ''
  }`;

/** Validates responses against Tempest's own schemas; returns the errors (null where valid). */
export function tempestCheck(cases: SchemaCase[]): (string | null)[] {
  const out = execFileSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  });
  return JSON.parse(out) as (string | null)[];
}
