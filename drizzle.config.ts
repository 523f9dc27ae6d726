import { defineConfig } from "drizzle-kit";

// drizzle-kit only needs the schema to generate migrations; no database is contacted.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema.ts",
  out: "./drizzle",
});
