import type { NetworkHarness } from './harness.js';

// biome-ignore lint/suspicious/noExplicitAny: loosely typed Neutron JSON bodies
export type Json = Record<string, any>;

const PLURAL: Record<string, string> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  router: 'routers',
  security_group: 'security-groups',
  security_group_rule: 'security-group-rules',
  floatingip: 'floatingips',
};

/** The Neutron REST calls a data-plane test makes, as a user would; any unexpected status throws. */
export interface NeutronCalls {
  create(token: string, resource: string, body: Json): Promise<Json>;
  update(token: string, resource: string, id: string, body: Json): Promise<Json>;
  show(token: string, resource: string, id: string): Promise<Json>;
  remove(token: string, resource: string, id: string): Promise<void>;
  /** PUT /v2.0/routers/{id}/{action} (add_router_interface, remove_router_interface). */
  routerAction(token: string, id: string, action: string, body: Json): Promise<Json>;
}

export function neutronCalls(h: NetworkHarness): NeutronCalls {
  const call = async (method: string, url: string, token: string, expected: number, body?: Json) => {
    const r = await h.call(method, url, { token, body });
    if (r.statusCode !== expected) throw new Error(`${method} ${url} → ${r.statusCode}: ${r.body}`);
    return r.body ? (r.json() as Json) : {};
  };
  const path = (resource: string) => {
    const p = PLURAL[resource];
    if (!p) throw new Error(`unknown resource ${resource}`);
    return `/v2.0/${p}`;
  };
  return {
    create: async (token, resource, body) =>
      (await call('POST', path(resource), token, 201, { [resource]: body }))[resource],
    update: async (token, resource, id, body) =>
      (await call('PUT', `${path(resource)}/${id}`, token, 200, { [resource]: body }))[resource],
    show: async (token, resource, id) => (await call('GET', `${path(resource)}/${id}`, token, 200))[resource],
    remove: async (token, resource, id) => {
      await call('DELETE', `${path(resource)}/${id}`, token, 204);
    },
    routerAction: (token, id, action, body) => call('PUT', `/v2.0/routers/${id}/${action}`, token, 200, body),
  };
}
