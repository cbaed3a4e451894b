import { z } from 'zod';
import { KumoError } from './errors.js';

/**
 * Parse configuration once, at start, from the environment. Nothing else in
 * Kumo reads process.env: the parsed object is passed down as a dependency.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new KumoError('invalid', `invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Environment helpers: booleans and numbers arrive as strings. */
export const envBool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const envInt = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
