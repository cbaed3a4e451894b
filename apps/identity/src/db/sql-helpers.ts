import { type SQL, sql } from 'drizzle-orm';

/** A text[] parameter (drizzle would expand a JS array into a list). Ids never hold commas. */
export const textArray = (values: string[]): SQL => sql`string_to_array(${values.join(',')}, ',')::text[]`;
