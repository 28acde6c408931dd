import { defineConfig } from 'drizzle-kit'

// The PostgreSQL store (docs/postgresql.md): its own schema and migrations, beside SQLite's (drizzle.config.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg/schema.ts',
  out: './migrations/postgres',
})
