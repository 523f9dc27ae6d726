import bcrypt from "bcryptjs";
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../db/client";
import { auditLog, inboxes, inboxMembers, loginAttempts, users } from "../../db/schema";
import { ROLES, type Role } from "../domain";
import { AppError } from "../errors";
import { log } from "../logger";
import { getIo } from "../realtime/emit";
import { rooms } from "../realtime/events";

/** Failed sign-ins allowed per email inside LOGIN_WINDOW_MS before further attempts are refused. */
export const MAX_FAILED_LOGINS = 5;
/** The rate-limit window for failed sign-ins, in milliseconds (15 min). */
export const LOGIN_WINDOW_MS = 15 * 60_000;

export const LOCALES = ["en", "pt-BR"] as const;
export type Locale = (typeof LOCALES)[number];

export type PublicUser = {
  id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  locale: string;
  timezone: string | null;
};

const publicCols = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  active: users.active,
  locale: users.locale,
  timezone: users.timezone,
};

export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email("Enter a valid email address"),
  password: z.string().min(1, "Enter your password").max(200),
});

let dummyHash: string | undefined;

export type CredentialsDecision =
  | { ok: true; user: PublicUser }
  | { ok: false; reason: "invalid_input" | "invalid_credentials" }
  | { ok: false; reason: "rate_limited"; retryAt: Date };

/**
 * Checks an email + password sign-in. Refuses (without checking the password)
 * once MAX_FAILED_LOGINS failures for that email happened in the last
 * LOGIN_WINDOW_MS, so guessing is throttled per account; records every checked
 * attempt. Unknown emails and inactive users fail exactly like a wrong password.
 */
export async function verifyCredentials(
  db: DbOrTx,
  input: unknown,
  now = new Date(),
): Promise<CredentialsDecision> {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) {
    log.warn("auth.login_invalid_input", { issues: parsed.error.issues.map((i) => i.message) });
    return { ok: false, reason: "invalid_input" };
  }
  const { email, password } = parsed.data;
  const retryAt = await loginRetryAt(db, email, now);
  if (retryAt) {
    log.warn("auth.login_rate_limited", { email });
    return { ok: false, reason: "rate_limited", retryAt };
  }
  const [row] = await db
    .select({ ...publicCols, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, email));
  // Compare even for unknown emails so timing does not reveal which accounts exist.
  dummyHash ??= await bcrypt.hash("no-such-user", 10);
  const hash = row?.passwordHash ?? dummyHash;
  const matches = await bcrypt.compare(password, hash);
  const ok = Boolean(row?.active && matches);
  await db.insert(loginAttempts).values({ email, ok, at: now });
  if (!ok || !row) {
    log.warn("auth.login_failed", {
      email,
      reason: row ? (row.active ? "password" : "inactive") : "unknown_email",
    });
    return { ok: false, reason: "invalid_credentials" };
  }
  const { passwordHash: _, ...user } = row;
  log.info("auth.login", { userId: user.id });
  return { ok: true, user };
}

/**
 * When `email` may try again, if it is locked out now: MAX_FAILED_LOGINS
 * failures inside the sliding LOGIN_WINDOW_MS. Null when it may try now.
 */
export async function loginRetryAt(db: DbOrTx, email: string, now = new Date()): Promise<Date | null> {
  const since = new Date(now.getTime() - LOGIN_WINDOW_MS);
  const failures = await db
    .select({ at: loginAttempts.at })
    .from(loginAttempts)
    .where(
      and(
        eq(loginAttempts.email, email.trim().toLowerCase()),
        eq(loginAttempts.ok, false),
        gt(loginAttempts.at, since),
      ),
    )
    .orderBy(asc(loginAttempts.at));
  if (failures.length < MAX_FAILED_LOGINS) return null;
  // The window slides: the oldest counted failure leaving it frees one attempt.
  return new Date(failures[failures.length - MAX_FAILED_LOGINS].at.getTime() + LOGIN_WINDOW_MS);
}

/** The user behind a session, if still active (sessions of deactivated users stop working at once). */
export async function getActiveUser(db: DbOrTx, userId: string): Promise<PublicUser | null> {
  if (!z.string().uuid().safeParse(userId).success) return null;
  const [row] = await db
    .select(publicCols)
    .from(users)
    .where(and(eq(users.id, userId), eq(users.active, true)));
  return row ?? null;
}

/** Every user with the inboxes they are members of (admin page). */
export async function listUsers(db: DbOrTx): Promise<(PublicUser & { inboxIds: string[] })[]> {
  const rows = await db.select(publicCols).from(users).orderBy(asc(users.name));
  const members = await db.select().from(inboxMembers);
  return rows.map((u) => ({
    ...u,
    inboxIds: members.filter((m) => m.userId === u.id).map((m) => m.inboxId),
  }));
}

/**
 * Active users who can work a thread of `inboxId`: its members, plus supervisors
 * and admins (who see every inbox). Used by the "assign to" menu.
 */
export async function listAssignableUsers(
  db: DbOrTx,
  inboxId: string,
): Promise<{ id: string; name: string; role: Role }[]> {
  return db
    .select({ id: users.id, name: users.name, role: users.role })
    .from(users)
    .where(
      and(
        eq(users.active, true),
        sql`(${users.role} in ('admin','supervisor') or exists (select 1 from ${inboxMembers} m where m.user_id = ${users.id} and m.inbox_id = ${inboxId}))`,
      ),
    )
    .orderBy(asc(users.name));
}

export const createUserSchema = z.object({
  email: z.string().trim().toLowerCase().email("Enter a valid email address"),
  name: z.string().trim().min(1, "Enter a name").max(120),
  password: z.string().min(8, "The password needs at least 8 characters").max(200),
  role: z.enum(ROLES),
  locale: z.enum(LOCALES).default("en"),
  inboxIds: z.array(z.string().uuid()).default([]),
});

type Actor = { id: string };

async function audit(
  db: DbOrTx,
  actor: Actor,
  action: string,
  targetId: string,
  data?: Record<string, unknown>,
) {
  await db
    .insert(auditLog)
    .values({ actorUserId: actor.id, action, targetType: "user", targetId, data: data ?? null });
}

/** Creates a user (admins). A taken email is a Conflict, not a crash. */
export async function createUser(db: DbOrTx, actor: Actor, input: unknown): Promise<PublicUser> {
  const parsed = createUserSchema.safeParse(input);
  if (!parsed.success) {
    log.warn("users.create_invalid", { issues: parsed.error.issues.map((i) => i.message) });
    throw new AppError("invalid_input", parsed.error.issues[0]?.message ?? "Invalid user");
  }
  const { inboxIds, password, ...rest } = parsed.data;
  const passwordHash = await bcrypt.hash(password, 10);
  const [row] = await db
    .insert(users)
    .values({ ...rest, passwordHash })
    .onConflictDoNothing({ target: users.email })
    .returning(publicCols);
  if (!row) {
    log.warn("users.create_conflict", { email: rest.email });
    throw new AppError("conflict", `A user with the email ${rest.email} already exists.`);
  }
  if (inboxIds.length) {
    const existing = await db.select({ id: inboxes.id }).from(inboxes).where(inArray(inboxes.id, inboxIds));
    if (existing.length)
      await db.insert(inboxMembers).values(existing.map((i) => ({ inboxId: i.id, userId: row.id })));
  }
  await audit(db, actor, "user.create", row.id, { email: row.email, role: row.role });
  return row;
}

async function mustExist(db: DbOrTx, userId: string) {
  const [row] = await db.select(publicCols).from(users).where(eq(users.id, userId));
  if (!row) throw new AppError("not_found", "User not found.");
  return row;
}

/** Activates or deactivates a user; deactivation drops their live sockets. Admins cannot lock themselves out. */
export async function setUserActive(
  db: DbOrTx,
  actor: Actor,
  userId: string,
  active: boolean,
): Promise<void> {
  await mustExist(db, userId);
  if (!active && actor.id === userId) throw new AppError("invalid_input", "You cannot deactivate yourself.");
  await db.update(users).set({ active }).where(eq(users.id, userId));
  await audit(db, actor, active ? "user.activate" : "user.deactivate", userId);
  if (!active) getIo()?.in(rooms.user(userId)).disconnectSockets(true);
}

/** Changes a user's role. Admins cannot demote themselves (someone must stay admin). */
export async function setUserRole(db: DbOrTx, actor: Actor, userId: string, role: unknown): Promise<void> {
  const parsed = z.enum(ROLES).safeParse(role);
  if (!parsed.success) throw new AppError("invalid_input", "Unknown role.");
  const before = await mustExist(db, userId);
  if (actor.id === userId && parsed.data !== "admin")
    throw new AppError("invalid_input", "You cannot change your own role.");
  await db.update(users).set({ role: parsed.data }).where(eq(users.id, userId));
  await audit(db, actor, "user.role", userId, { from: before.role, to: parsed.data });
  // Their room memberships depend on the role: make their sockets reconnect and re-join.
  getIo()?.in(rooms.user(userId)).disconnectSockets(false);
}

/** Adds or removes a user from an inbox. */
export async function setInboxMembership(
  db: DbOrTx,
  actor: Actor,
  input: { userId: string; inboxId: string; member: boolean },
): Promise<void> {
  await mustExist(db, input.userId);
  const [inbox] = await db.select({ id: inboxes.id }).from(inboxes).where(eq(inboxes.id, input.inboxId));
  if (!inbox) throw new AppError("not_found", "Inbox not found.");
  if (input.member) {
    await db
      .insert(inboxMembers)
      .values({ inboxId: input.inboxId, userId: input.userId })
      .onConflictDoNothing();
  } else {
    await db
      .delete(inboxMembers)
      .where(and(eq(inboxMembers.inboxId, input.inboxId), eq(inboxMembers.userId, input.userId)));
  }
  await audit(db, actor, input.member ? "user.inbox_add" : "user.inbox_remove", input.userId, {
    inboxId: input.inboxId,
  });
  getIo()?.in(rooms.user(input.userId)).disconnectSockets(false);
}

export const preferencesSchema = z.object({
  locale: z.enum(LOCALES).optional(),
  timezone: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "Unknown time zone")
    .nullable()
    .optional(),
});

/** A user's own language and time zone. */
export async function setUserPreferences(db: DbOrTx, userId: string, input: unknown): Promise<void> {
  const parsed = preferencesSchema.safeParse(input);
  if (!parsed.success)
    throw new AppError("invalid_input", parsed.error.issues[0]?.message ?? "Invalid preferences");
  if (Object.keys(parsed.data).length === 0) return;
  await db.update(users).set(parsed.data).where(eq(users.id, userId));
}

/** All inboxes (admin pages). */
export async function listInboxes(db: DbOrTx) {
  return db
    .select({ id: inboxes.id, name: inboxes.name, displayNumber: inboxes.displayNumber })
    .from(inboxes)
    .orderBy(asc(inboxes.name));
}
