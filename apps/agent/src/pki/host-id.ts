import { z } from 'zod';

/** A host id is a lowercase DNS name: it is the agent certificate's CN and DNS SAN. */
export const hostIdSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    'must be a lowercase DNS name (letters, digits, -, .)',
  );
