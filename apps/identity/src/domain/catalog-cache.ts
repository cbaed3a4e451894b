/** A catalog entry as Keystone renders it in tokens and /v3/auth/catalog. */
export interface CatalogEntry {
  id: string;
  type: string;
  name: string;
  endpoints: {
    id: string;
    interface: string;
    region: string | null;
    region_id: string | null;
    url: string;
  }[];
}

/**
 * The service catalog changes rarely and is read on every token issue: keep it
 * in memory, drop it when this process changes the catalog, and re-read it at
 * most every `ttlMs` to see other processes' changes.
 */
export class CatalogCache {
  private value: CatalogEntry[] | undefined;
  private loadedAt = 0;
  private pending: Promise<CatalogEntry[]> | undefined;

  constructor(
    private readonly load: () => Promise<CatalogEntry[]>,
    private readonly ttlMs = 5000,
  ) {}

  async get(): Promise<CatalogEntry[]> {
    if (this.value && Date.now() - this.loadedAt < this.ttlMs) return this.value;
    this.pending ??= this.load()
      .then((v) => {
        this.value = v;
        this.loadedAt = Date.now();
        return v;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  invalidate(): void {
    this.value = undefined;
  }
}
