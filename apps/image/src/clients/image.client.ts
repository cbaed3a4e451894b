import { type ErrorKind, KumoError } from '@kumo/service-kit';

/** An image as the image service returns it (Glance v2 shape; extra properties are strings). */
export interface Image {
  id: string;
  name: string | null;
  status: string;
  visibility: 'public' | 'private' | 'shared' | 'community';
  protected: boolean;
  os_hidden: boolean;
  owner: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_ram: number;
  min_disk: number;
  disk_format: string | null;
  container_format: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  [property: string]: unknown;
}

/** A signed, token-less URL to the data of an image. */
export interface SignedUrl {
  url: string;
  expires_at: string;
}

/** One JSON-patch operation of the image service's PATCH (path `/<attribute>`, `~1` for `/`, `~0` for `~`). */
export interface ImagePatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** A page of `GET /v2/images`; `next` is the marker of the following page when there may be one. */
export interface ImagePage {
  images: Image[];
  next?: string;
}

export interface ImageClient {
  getImage(token: string, id: string): Promise<Image>;
  /** One page of the images the token may see; query = Glance v2 list parameters (filters, limit, marker, sort). */
  listImages(token: string, query?: Record<string, string | number>): Promise<ImagePage>;
  /** Apply JSON-patch operations to an image (Glance v2 PATCH). */
  updateImage(token: string, id: string, ops: ImagePatchOp[]): Promise<Image>;
  createImage(token: string, body: Record<string, unknown>): Promise<Image>;
  deleteImage(token: string, id: string): Promise<void>;
  /** A signed GET URL for an active image's data (admin or service role). */
  downloadUrl(token: string, id: string): Promise<SignedUrl>;
  /** A signed PUT URL for the data of a queued image (admin or service role). */
  uploadUrl(token: string, id: string): Promise<SignedUrl>;
}

const KIND_OF_STATUS: Record<number, ErrorKind> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media',
};

/** An HTTP client of the image service for other Kumo services. Errors arrive as KumoErrors. */
export function createImageClient(
  baseUrl: string,
  opts: { fetch?: typeof fetch; requestId?: string } = {},
): ImageClient {
  const base = baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const call = async <T>(
    token: string,
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> => {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          'x-auth-token': token,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': contentType } : {}),
          ...(opts.requestId ? { 'x-openstack-request-id': opts.requestId } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new KumoError('unavailable', `image service unreachable at ${base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { message?: unknown };
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch {
        // not JSON: keep the text
      }
      const kind = KIND_OF_STATUS[res.status] ?? (res.status >= 500 ? 'unavailable' : 'invalid');
      throw new KumoError(kind, `image service: ${method} ${path} → ${res.status}: ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const enc = encodeURIComponent;
  return {
    getImage: (token, id) => call<Image>(token, 'GET', `/v2/images/${enc(id)}`),
    listImages: async (token, query = {}) => {
      const qs = new URLSearchParams(
        Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
      ).toString();
      const page = await call<{ images: Image[]; next?: string }>(
        token,
        'GET',
        `/v2/images${qs ? `?${qs}` : ''}`,
      );
      const marker = page.next ? new URL(page.next, 'http://x').searchParams.get('marker') : null;
      return { images: page.images, ...(marker ? { next: marker } : {}) };
    },
    updateImage: (token, id, ops) =>
      call<Image>(
        token,
        'PATCH',
        `/v2/images/${enc(id)}`,
        ops,
        'application/openstack-images-v2.1-json-patch',
      ),
    createImage: (token, body) => call<Image>(token, 'POST', '/v2/images', body),
    deleteImage: async (token, id) => {
      await call<void>(token, 'DELETE', `/v2/images/${enc(id)}`);
    },
    downloadUrl: (token, id) => call<SignedUrl>(token, 'POST', `/kumo/v1/images/${enc(id)}/download-url`),
    uploadUrl: (token, id) => call<SignedUrl>(token, 'POST', `/kumo/v1/images/${enc(id)}/upload-url`),
  };
}
