import { redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "../db/client";
import { auth } from "./auth";
import type { Role } from "./domain";
import { AppError } from "./errors";
import { log } from "./logger";
import { getActiveUser, type PublicUser } from "./services/users";

export type SessionUser = Pick<PublicUser, "id" | "role" | "name" | "email" | "locale" | "timezone">;

/**
 * The signed-in user, re-read from the database on every request (deduplicated
 * within one render) so a deactivation or a role change applies at once, not
 * when the JWT expires.
 */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const session = await auth();
  const id = (session?.user as { id?: string } | undefined)?.id;
  if (!id) return null;
  const user = await getActiveUser(getDb(), id);
  if (!user) return null;
  return {
    id: user.id,
    role: user.role,
    name: user.name,
    email: user.email,
    locale: user.locale,
    timezone: user.timezone,
  };
});

/** For server actions and route handlers: the user, or an AppError (unauthorized / forbidden). */
export async function requireUser(roles?: readonly Role[]): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) throw new AppError("unauthorized", "Sign in to continue.");
  if (roles && !roles.includes(user.role)) {
    log.warn("auth.forbidden", { userId: user.id, role: user.role, needs: roles });
    throw new AppError("forbidden", "You do not have permission to do that.");
  }
  return user;
}

/** For pages: the user, or a redirect to /login (no session) or /inbox (wrong role). */
export async function requirePageUser(roles?: readonly Role[]): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect("/login");
  if (roles && !roles.includes(user.role)) redirect("/inbox");
  return user;
}

export { accessibleInboxIds, canAccessInbox, seesAllInboxes } from "./services/access";
