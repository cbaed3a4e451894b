/** Glance's API versions; Kumo answers like Glance 2.16 (Yoga and later). */
const VERSIONS: [string, 'CURRENT' | 'SUPPORTED'][] = [
  ['v2.16', 'CURRENT'],
  ['v2.15', 'SUPPORTED'],
  ['v2.14', 'SUPPORTED'],
  ['v2.13', 'SUPPORTED'],
  ['v2.12', 'SUPPORTED'],
  ['v2.11', 'SUPPORTED'],
  ['v2.10', 'SUPPORTED'],
  ['v2.9', 'SUPPORTED'],
  ['v2.8', 'SUPPORTED'],
  ['v2.7', 'SUPPORTED'],
  ['v2.6', 'SUPPORTED'],
  ['v2.5', 'SUPPORTED'],
  ['v2.4', 'SUPPORTED'],
  ['v2.3', 'SUPPORTED'],
  ['v2.2', 'SUPPORTED'],
  ['v2.1', 'SUPPORTED'],
  ['v2.0', 'SUPPORTED'],
];

export function versionsDocument(baseUrl: string): { versions: unknown[] } {
  const href = `${baseUrl.replace(/\/+$/, '')}/v2/`;
  return { versions: VERSIONS.map(([id, status]) => ({ id, status, links: [{ rel: 'self', href }] })) };
}
