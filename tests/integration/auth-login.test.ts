import bcrypt from "bcryptjs";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { loginAttempts, users } from "../../db/schema";
import {
  createUser,
  LOGIN_WINDOW_MS,
  MAX_FAILED_LOGINS,
  setUserActive,
  setUserRole,
  verifyCredentials,
} from "../../lib/services/users";
import { makeUser } from "./threads-fixtures";

/** Email + password sign-in (bcrypt), per-email rate limiting, and the admin's user management. */
describe("sign-in credentials", () => {
  const db = getDb();
  let hash: string;
  beforeAll(async () => {
    hash = await bcrypt.hash("right-password", 10);
  });

  it("accepts the right password of an active user and records the attempt", async () => {
    const u = await makeUser(db, "agent", { passwordHash: hash });
    const d = await verifyCredentials(db, { email: u.email.toUpperCase(), password: "right-password" });
    expect(d).toMatchObject({ ok: true, user: { id: u.id, role: "agent" } });
    const rows = await db.select().from(loginAttempts).where(eq(loginAttempts.email, u.email));
    expect(rows.map((r) => r.ok)).toEqual([true]);
  });

  it("refuses a wrong password, an unknown email and a deactivated user alike", async () => {
    const u = await makeUser(db, "agent", { passwordHash: hash });
    const off = await makeUser(db, "agent", { passwordHash: hash, active: false });
    expect(await verifyCredentials(db, { email: u.email, password: "wrong" })).toEqual({
      ok: false,
      reason: "invalid_credentials",
    });
    expect(await verifyCredentials(db, { email: `nobody-${u.id}@test.local`, password: "x" })).toEqual({
      ok: false,
      reason: "invalid_credentials",
    });
    expect(await verifyCredentials(db, { email: off.email, password: "right-password" })).toEqual({
      ok: false,
      reason: "invalid_credentials",
    });
  });

  it("refuses malformed input before touching the database", async () => {
    expect(await verifyCredentials(db, { email: "not-an-email", password: "x" })).toEqual({
      ok: false,
      reason: "invalid_input",
    });
    expect(await verifyCredentials(db, null)).toEqual({ ok: false, reason: "invalid_input" });
  });

  it(`locks an email out after ${MAX_FAILED_LOGINS} failures in 15 minutes — even with the right password — then lets it retry`, async () => {
    const u = await makeUser(db, "agent", { passwordHash: hash });
    const t0 = new Date();
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
      const at = new Date(t0.getTime() + i * 1000);
      expect(await verifyCredentials(db, { email: u.email, password: `guess-${i}` }, at)).toMatchObject({
        ok: false,
      });
    }
    const locked = await verifyCredentials(
      db,
      { email: u.email, password: "right-password" },
      new Date(t0.getTime() + 10_000),
    );
    expect(locked).toEqual({
      ok: false,
      reason: "rate_limited",
      retryAt: new Date(t0.getTime() + LOGIN_WINDOW_MS),
    });
    // Refusals while locked are not counted, so the lock ends on time.
    const later = new Date(t0.getTime() + LOGIN_WINDOW_MS + 1);
    expect(await verifyCredentials(db, { email: u.email, password: "right-password" }, later)).toMatchObject({
      ok: true,
    });
    // Another email is unaffected throughout.
    const other = await makeUser(db, "agent", { passwordHash: hash });
    expect(
      await verifyCredentials(
        db,
        { email: other.email, password: "right-password" },
        new Date(t0.getTime() + 10_000),
      ),
    ).toMatchObject({ ok: true });
  });
});

describe("user management (admins)", () => {
  const db = getDb();

  it("creates users with a bcrypt hash; a taken email is a Conflict; bad input is invalid_input", async () => {
    const admin = await makeUser(db, "admin");
    const email = `new-${admin.id.slice(0, 8)}@test.local`;
    const u = await createUser(db, admin, {
      email,
      name: "New Agent",
      password: "long-enough",
      role: "agent",
    });
    const [row] = await db.select().from(users).where(eq(users.id, u.id));
    expect(await bcrypt.compare("long-enough", row.passwordHash)).toBe(true);
    expect(await verifyCredentials(db, { email, password: "long-enough" })).toMatchObject({ ok: true });
    await expect(
      createUser(db, admin, { email, name: "Dup", password: "long-enough", role: "agent" }),
    ).rejects.toMatchObject({
      code: "conflict",
    });
    await expect(
      createUser(db, admin, {
        email: "someone@example.com",
        name: "Short",
        password: "short",
        role: "agent",
      }),
    ).rejects.toMatchObject({
      code: "invalid_input",
    });
    await expect(
      createUser(db, admin, {
        email: "someone@example.com",
        name: "R",
        password: "long-enough",
        role: "owner",
      }),
    ).rejects.toMatchObject({
      code: "invalid_input",
    });
  });

  it("deactivation stops sign-in; admins cannot deactivate or demote themselves", async () => {
    const admin = await makeUser(db, "admin");
    const hash = await bcrypt.hash("pw-123456", 10);
    const u = await makeUser(db, "agent", { passwordHash: hash });
    await setUserActive(db, admin, u.id, false);
    expect(await verifyCredentials(db, { email: u.email, password: "pw-123456" })).toMatchObject({
      ok: false,
    });
    await setUserActive(db, admin, u.id, true);
    expect(await verifyCredentials(db, { email: u.email, password: "pw-123456" })).toMatchObject({
      ok: true,
    });
    await setUserRole(db, admin, u.id, "supervisor");
    expect((await db.select().from(users).where(eq(users.id, u.id)))[0].role).toBe("supervisor");
    await expect(setUserActive(db, admin, admin.id, false)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(setUserRole(db, admin, admin.id, "agent")).rejects.toMatchObject({ code: "invalid_input" });
    await expect(setUserRole(db, admin, u.id, "root")).rejects.toMatchObject({ code: "invalid_input" });
  });
});
