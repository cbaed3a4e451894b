/** An image as stored, in domain terms (what the repository returns). */
export interface ImageRecord {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  owner: string | null;
  protected: boolean;
  osHidden: boolean;
  minDisk: number;
  minRam: number;
  diskFormat: string | null;
  containerFormat: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  properties: Record<string, string | null>;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

export type ImageStatus =
  | 'queued'
  | 'saving'
  | 'active'
  | 'killed'
  | 'deleted'
  | 'pending_delete'
  | 'deactivated'
  | 'uploading'
  | 'importing';
export type Visibility = 'public' | 'private' | 'shared' | 'community';
export const VISIBILITIES: Visibility[] = ['public', 'private', 'shared', 'community'];

export interface MemberRecord {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: Date;
  updatedAt: Date;
}
export type MemberStatus = 'pending' | 'accepted' | 'rejected';
export const MEMBER_STATUSES: MemberStatus[] = ['pending', 'accepted', 'rejected'];

/** Glance prints times without fractions: 2015-11-29T22:21:42Z. */
export const glanceTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Glance v2 representation of an image: core attributes, then extra properties at top level. */
export function imageView(i: ImageRecord): Record<string, unknown> {
  return {
    ...i.properties,
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: i.visibility,
    protected: i.protected,
    os_hidden: i.osHidden,
    checksum: i.checksum,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    owner: i.owner,
    size: i.size,
    virtual_size: i.virtualSize,
    min_ram: i.minRam,
    min_disk: i.minDisk,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    tags: i.tags,
    created_at: glanceTime(i.createdAt),
    updated_at: glanceTime(i.updatedAt),
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
}

export function memberView(m: MemberRecord): Record<string, unknown> {
  return {
    image_id: m.imageId,
    member_id: m.memberId,
    status: m.status,
    created_at: glanceTime(m.createdAt),
    updated_at: glanceTime(m.updatedAt),
    schema: '/v2/schemas/member',
  };
}
