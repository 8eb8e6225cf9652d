import { defineConfig } from 'drizzle-kit';

// Only `generate` is used: migrations are applied by the server at start (src/store/database.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema/index.ts',
  out: './drizzle',
});
