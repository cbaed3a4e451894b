import { isKumoError, type KumoError } from '@kumo/service-kit';
import { describe, expect, it } from 'vitest';
import { createNetworkClient } from './network.client.js';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fetch that records the request and answers `status` with `body`. */
function fakeFetch(status: number, body: unknown, seen: Seen[] = []): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    seen.push({
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    });
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(status === 204 ? null : text, { status });
  }) as typeof fetch;
}

async function caught(p: Promise<unknown>): Promise<KumoError> {
  try {
    await p;
  } catch (err) {
    if (isKumoError(err)) return err;
    throw err;
  }
  throw new Error('expected a KumoError');
}

describe('network client', () => {
  it('lists with repeated filters and reads the collection key', async () => {
    const seen: Seen[] = [];
    const c = createNetworkClient('http://net:9696/', {
      fetch: fakeFetch(200, { ports: [{ id: 'p1' }] }, seen),
      requestId: 'req-1',
    });
    const ports = await c.listPorts('tok', { device_id: 'srv', network_id: ['a', 'b'], skip: undefined });
    expect(ports).toEqual([{ id: 'p1' }]);
    expect(seen[0]!.url).toBe('http://net:9696/v2.0/ports?device_id=srv&network_id=a&network_id=b');
    expect(seen[0]!.headers['x-auth-token']).toBe('tok');
    expect(seen[0]!.headers['x-openstack-request-id']).toBe('req-1');
  });

  it('maps dashed collections to their underscored keys', async () => {
    const seen: Seen[] = [];
    const c = createNetworkClient('http://net', {
      fetch: fakeFetch(200, { security_groups: [{ id: 'g' }] }, seen),
    });
    expect(await c.listSecurityGroups('t', { name: 'default' })).toEqual([{ id: 'g' }]);
    expect(seen[0]!.url).toBe('http://net/v2.0/security-groups?name=default');
  });

  it('wraps bodies in their resource key and unwraps answers', async () => {
    const seen: Seen[] = [];
    const c = createNetworkClient('http://net', {
      fetch: fakeFetch(201, { port: { id: 'p', mac_address: 'fa:16:3e:00:00:01' } }, seen),
    });
    const p = await c.createPort('t', { network_id: 'n', device_id: 'd', 'binding:host_id': 'h' });
    expect(p.id).toBe('p');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.body).toEqual({ port: { network_id: 'n', device_id: 'd', 'binding:host_id': 'h' } });
  });

  it('deletes with an empty 204', async () => {
    const seen: Seen[] = [];
    const c = createNetworkClient('http://net', { fetch: fakeFetch(204, undefined, seen) });
    await expect(c.deletePort('t', 'a/b')).resolves.toBeUndefined();
    expect(seen[0]!.url).toBe('http://net/v2.0/ports/a%2Fb');
    expect(seen[0]!.method).toBe('DELETE');
  });

  it.each([
    [400, 'invalid'],
    [401, 'unauthenticated'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'conflict'],
    [412, 'conflict'],
    [500, 'unavailable'],
    [503, 'unavailable'],
  ] as const)('maps Neutron %i to %s with its message and type', async (status, kind) => {
    const c = createNetworkClient('http://net', {
      fetch: fakeFetch(status, {
        NeutronError: { type: 'PortNotFound', message: 'Port x could not be found.', detail: '' },
      }),
    });
    const err = await caught(c.getPort('t', 'x'));
    expect(err.kind).toBe(kind);
    expect(err.message).toBe('Port x could not be found.');
    expect(err.type).toBe('PortNotFound');
  });

  it('keeps a plain-text error as the message', async () => {
    const c = createNetworkClient('http://net', { fetch: fakeFetch(404, 'nothing here') });
    const err = await caught(c.getNetwork('t', 'n'));
    expect(err.kind).toBe('not_found');
    expect(err.message).toBe('nothing here');
  });

  it('reports an unreachable service as unavailable', async () => {
    const c = createNetworkClient('http://127.0.0.1:1', { timeoutMs: 2_000 });
    const err = await caught(c.listNetworks('t'));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toMatch(/network service unreachable/);
  });

  it('reads quotas', async () => {
    const c = createNetworkClient('http://net', {
      fetch: fakeFetch(200, { quota: { security_group: 10, floatingip: 50 } }),
    });
    expect(await c.getQuota('t', 'p')).toEqual({ security_group: 10, floatingip: 50 });
  });
});
