import type { handleUnaryCall } from '@grpc/grpc-js';
import type * as P from '@kumo/agent-proto';
import { RebootType } from '@kumo/agent-proto';
import type { z } from 'zod';
import type { ComputeDriver, DomainStatus } from '../drivers/compute.js';
import {
  attachDiskIn,
  attachInterfaceIn,
  consoleLogIn,
  detachDiskIn,
  detachInterfaceIn,
  ensureDomainIn,
  instanceIn,
  parseRequest,
  rebootDomainIn,
  stopDomainIn,
} from './from-wire.js';
import { type RpcDeps, unary } from './rpc.js';
import { domainOut } from './to-wire.js';

/** An RPC that validates its request with `schema` and answers with the domain's status. */
function domainRpc<S extends z.ZodType, Req>(
  deps: RpcDeps,
  name: string,
  schema: S,
  run: (r: z.output<S>) => Promise<DomainStatus>,
): handleUnaryCall<Req, { domain?: P.Domain }> {
  return unary(deps, name, async (req: Req) => ({ domain: domainOut(await run(parseRequest(schema, req))) }));
}

/** kumo.agent.v1.ComputeService on a ComputeDriver. */
export function computeService(deps: RpcDeps & { compute: ComputeDriver }): P.ComputeServiceServer {
  const c = deps.compute;
  return {
    ensureDomain: domainRpc(deps, 'EnsureDomain', ensureDomainIn, (r) => c.ensureDomain(r.spec!)),
    startDomain: domainRpc(deps, 'StartDomain', instanceIn, (r) => c.start(r.instanceId)),
    stopDomain: domainRpc(deps, 'StopDomain', stopDomainIn, (r) =>
      c.stop(r.instanceId, { timeoutMs: r.timeoutMs, force: r.force }),
    ),
    rebootDomain: domainRpc(deps, 'RebootDomain', rebootDomainIn, (r) =>
      c.reboot(r.instanceId, { hard: r.type === RebootType.HARD }),
    ),
    pauseDomain: domainRpc(deps, 'PauseDomain', instanceIn, (r) => c.pause(r.instanceId)),
    resumeDomain: domainRpc(deps, 'ResumeDomain', instanceIn, (r) => c.resume(r.instanceId)),
    destroyDomain: unary(deps, 'DestroyDomain', async (req: P.DestroyDomainRequest) => {
      await c.destroy(parseRequest(instanceIn, req).instanceId);
      return {};
    }),
    getDomain: domainRpc(deps, 'GetDomain', instanceIn, (r) => c.status(r.instanceId)),
    listDomains: unary(deps, 'ListDomains', async () => ({ domains: (await c.list()).map(domainOut) })),
    attachDisk: domainRpc(deps, 'AttachDisk', attachDiskIn, (r) => c.attachDisk(r.instanceId, r.disk!)),
    detachDisk: domainRpc(deps, 'DetachDisk', detachDiskIn, (r) => c.detachDisk(r.instanceId, r.diskId)),
    attachInterface: domainRpc(deps, 'AttachInterface', attachInterfaceIn, (r) =>
      c.attachInterface(r.instanceId, r.interface!),
    ),
    detachInterface: domainRpc(deps, 'DetachInterface', detachInterfaceIn, (r) =>
      c.detachInterface(r.instanceId, r.vifId),
    ),
    readConsoleLog: unary(deps, 'ReadConsoleLog', async (req: P.ReadConsoleLogRequest) => {
      const r = parseRequest(consoleLogIn, req);
      const out = await c.consoleLog(r.instanceId, { offset: r.offset, limit: r.limit });
      return { data: out.data, nextOffset: out.nextOffset };
    }),
  };
}
