import { invalid } from '@kumo/service-kit';
import type { z } from 'zod';

/** Validate a request body against a zod schema; a mismatch is Keystone's 400. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('Expecting to find a JSON object in the request body.', 'ValidationError');
  }
  const res = schema.safeParse(body);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'body';
    throw invalid(`Invalid input for field '${field}': ${issue.message}`, 'ValidationError');
  }
  return res.data;
}
