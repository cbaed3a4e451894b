import type * as P from '@kumo/agent-proto';
import type { StorageDriver } from '../drivers/storage.js';
import {
  diskIn,
  diskSizeIn,
  ensureDiskFromImageIn,
  ensureImageIn,
  exportDiskIn,
  imageIn,
  parseRequest,
} from './from-wire.js';
import { type RpcDeps, unary } from './rpc.js';
import { diskExportOut, diskOut, imageOut } from './to-wire.js';

/** kumo.agent.v1.StorageService on a StorageDriver. Disk locations never leave the agent. */
export function storageService(deps: RpcDeps & { storage: StorageDriver }): P.StorageServiceServer {
  const s = deps.storage;
  return {
    ensureImage: unary(deps, 'EnsureImage', async (req: P.EnsureImageRequest) => ({
      image: imageOut(await s.ensureImage(parseRequest(ensureImageIn, req))),
    })),
    getImage: unary(deps, 'GetImage', async (req: P.GetImageRequest) => ({
      image: imageOut(await s.getImage(parseRequest(imageIn, req).imageId)),
    })),
    removeImage: unary(deps, 'RemoveImage', async (req: P.RemoveImageRequest) => {
      await s.removeImage(parseRequest(imageIn, req).imageId);
      return {};
    }),
    ensureDiskFromImage: unary(deps, 'EnsureDiskFromImage', async (req: P.EnsureDiskFromImageRequest) => {
      const r = parseRequest(ensureDiskFromImageIn, req);
      return {
        disk: diskOut(
          await s.ensureDiskFromImage({ disk: r.diskId, image: r.imageId, sizeBytes: r.sizeBytes }),
        ),
      };
    }),
    ensureBlankDisk: unary(deps, 'EnsureBlankDisk', async (req: P.EnsureBlankDiskRequest) => {
      const r = parseRequest(diskSizeIn, req);
      return { disk: diskOut(await s.ensureBlankDisk({ disk: r.diskId, sizeBytes: r.sizeBytes })) };
    }),
    resizeDisk: unary(deps, 'ResizeDisk', async (req: P.ResizeDiskRequest) => {
      const r = parseRequest(diskSizeIn, req);
      return { disk: diskOut(await s.resizeDisk(r.diskId, r.sizeBytes)) };
    }),
    deleteDisk: unary(deps, 'DeleteDisk', async (req: P.DeleteDiskRequest) => {
      await s.deleteDisk(parseRequest(diskIn, req).diskId);
      return {};
    }),
    getDisk: unary(deps, 'GetDisk', async (req: P.GetDiskRequest) => ({
      disk: diskOut(await s.getDisk(parseRequest(diskIn, req).diskId)),
    })),
    listDisks: unary(deps, 'ListDisks', async () => ({ disks: (await s.listDisks()).map(diskOut) })),
    exportDisk: unary(deps, 'ExportDisk', async (req: P.ExportDiskRequest) =>
      diskExportOut(await s.exportDisk(parseRequest(exportDiskIn, req))),
    ),
  };
}
