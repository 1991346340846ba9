import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` (from packages/backend) writes the SQL migrations checked in under drizzle/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
