#!/usr/bin/env node
// Regenerate src/gen from proto/ with buf and the local ts-proto plugin (no
// protoc). `--out DIR` writes under DIR instead (the no-diff test uses it).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(pkg, '../..');
const buf = join(pkg, 'node_modules/.bin/buf');
const outIdx = process.argv.indexOf('--out');
const extra = outIdx > 0 ? ['-o', resolve(process.argv[outIdx + 1])] : [];

for (const args of [
  ['lint', 'proto'],
  ['generate', 'proto', '--template', 'proto/buf.gen.yaml', ...extra],
]) {
  const r = spawnSync(buf, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}
