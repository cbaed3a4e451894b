/** The flavor as embedded in a server (Nova keeps a copy: deleting a flavor never changes its servers). */
export interface FlavorSnapshot {
  id: string;
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  ephemeralGb: number;
  swapMb: number;
  extraSpecs: Record<string, string>;
}

/** Nova's server fault: shown in `fault` when the server is in ERROR. */
export interface ServerFault {
  code: number;
  message: string;
  details?: string;
  created: string;
}
