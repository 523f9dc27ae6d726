import type { Db } from "./client";

/** Seeds the demo workspace when the database is empty (placeholder; the lead fills it). */
export async function seedDemoIfEmpty(_db: Db): Promise<boolean> {
  return false;
}
