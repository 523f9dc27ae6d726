import { sql } from "drizzle-orm";
import { getDb } from "@/db/client";

export const dynamic = "force-dynamic";

/** Liveness + database reachability: the probe for tests, load balancers and the README. */
export async function GET() {
  try {
    await getDb().execute(sql`select 1`);
    return Response.json({ ok: true, db: "up" });
  } catch (err) {
    return Response.json({ ok: false, db: "down", error: (err as Error).message }, { status: 503 });
  }
}
