import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/db/schema.ts',
    './src/db/schema-security.ts',
    './src/db/schema-l3.ts',
    './src/db/schema-subnetpools.ts',
  ],
  out: './drizzle',
  schemaFilter: ['network'],
});
