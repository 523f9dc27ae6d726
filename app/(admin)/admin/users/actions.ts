"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { type ActionResult, runAction } from "@/lib/action-result";
import { AppError } from "@/lib/errors";
import { createUser, setInboxMembership, setUserActive, setUserRole } from "@/lib/services/users";
import { requireUser } from "@/lib/session";

/* Admin-only actions on users; each one checks the role itself. */

const id = z.string().uuid();
function idOf(v: unknown): string {
  const p = id.safeParse(v);
  if (!p.success) throw new AppError("not_found", "User not found.");
  return p.data;
}

export async function createUserAction(form: FormData): Promise<ActionResult<{ id: string }>> {
  return runAction("admin.createUser", async () => {
    const admin = await requireUser(["admin"]);
    const u = await createUser(getDb(), admin, {
      email: form.get("email"),
      name: form.get("name"),
      password: form.get("password"),
      role: form.get("role"),
      locale: form.get("locale") || undefined,
      inboxIds: form.getAll("inboxIds"),
    });
    revalidatePath("/admin/users");
    return { id: u.id };
  });
}

export async function setUserRoleAction(userId: string, role: string): Promise<ActionResult<null>> {
  return runAction("admin.setUserRole", async () => {
    const admin = await requireUser(["admin"]);
    await setUserRole(getDb(), admin, idOf(userId), role);
    revalidatePath("/admin/users");
    return null;
  });
}

export async function setUserActiveAction(userId: string, active: boolean): Promise<ActionResult<null>> {
  return runAction("admin.setUserActive", async () => {
    const admin = await requireUser(["admin"]);
    await setUserActive(getDb(), admin, idOf(userId), active === true);
    revalidatePath("/admin/users");
    return null;
  });
}

export async function setMembershipAction(
  userId: string,
  inboxId: string,
  member: boolean,
): Promise<ActionResult<null>> {
  return runAction("admin.setMembership", async () => {
    const admin = await requireUser(["admin"]);
    const inbox = id.safeParse(inboxId);
    if (!inbox.success) throw new AppError("not_found", "Inbox not found.");
    await setInboxMembership(getDb(), admin, {
      userId: idOf(userId),
      inboxId: inbox.data,
      member: member === true,
    });
    revalidatePath("/admin/users");
    return null;
  });
}
