import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { inboxes, inboxMembers } from "../../db/schema";
import type { Role } from "../domain";

/** Who is acting: enough to decide what they may see and do. */
export type Actor = { id: string; role: Role; name?: string };

/** Supervisors and admins see every inbox; agents only those they are members of. */
export function seesAllInboxes(user: Pick<Actor, "role">): boolean {
  return user.role === "admin" || user.role === "supervisor";
}

/** Ids of the inboxes `user` may see. */
export async function accessibleInboxIds(db: DbOrTx, user: Pick<Actor, "id" | "role">): Promise<string[]> {
  if (seesAllInboxes(user)) {
    return (await db.select({ id: inboxes.id }).from(inboxes)).map((r) => r.id);
  }
  const rows = await db
    .select({ id: inboxMembers.inboxId })
    .from(inboxMembers)
    .where(eq(inboxMembers.userId, user.id));
  return rows.map((r) => r.id);
}

/** Whether `user` may see (and work) threads of `inboxId`. */
export async function canAccessInbox(
  db: DbOrTx,
  user: Pick<Actor, "id" | "role">,
  inboxId: string,
): Promise<boolean> {
  if (seesAllInboxes(user)) return true;
  const [row] = await db
    .select({ id: inboxMembers.inboxId })
    .from(inboxMembers)
    .where(and(eq(inboxMembers.userId, user.id), eq(inboxMembers.inboxId, inboxId)));
  return Boolean(row);
}
