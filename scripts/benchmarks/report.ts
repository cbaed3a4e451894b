import { readFileSync, writeFileSync } from 'node:fs';

/** Replace (or append) the `<!-- bench:<area>:start/end -->` section of docs/benchmarks.md. */
export function writeBenchSection(area: string, section: string): void {
  const file = new URL('../../docs/benchmarks.md', import.meta.url);
  const start = `<!-- bench:${area}:start -->`;
  const end = `<!-- bench:${area}:end -->`;
  let doc = readFileSync(file, 'utf8');
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a >= 0 && b > a) doc = `${doc.slice(0, a + start.length)}\n${section}\n${doc.slice(b)}`;
  else doc += `\n${start}\n${section}\n${end}\n`;
  writeFileSync(file, doc);
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Milliseconds as "850 ms" or "1.42 s". */
export const fmtMs = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
