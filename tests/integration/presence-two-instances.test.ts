import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts, type inboxes, threads } from "../../db/schema";
import {
  type AgentSocket,
  connectAgent,
  createAgent,
  record,
  sessionCookie,
  until,
} from "./helpers/agent-socket";
import { type AppProcess, startAppProcess } from "./helpers/app-process";
import { type PrivateDb, privateDatabase } from "./helpers/private-db";
import { createTestInbox, randomDigits } from "./helpers/webhook";

/**
 * Presence and "who is viewing / typing" across app instances (real processes
 * with the Postgres adapter, one database): an agent on one instance sees the
 * agents on the others, whichever instance spoke last, and stops seeing those
 * who left — including those whose instance died without a goodbye.
 */
let pdb: PrivateDb;
let one: AppProcess;
let two: AppProcess;
let doomed: AppProcess;
let inbox: typeof inboxes.$inferSelect;
let threadId: string;
const sockets: AgentSocket[] = [];

async function socketOn(instance: AppProcess, userId: string): Promise<AgentSocket> {
  const socket = await connectAgent(instance.url, await sessionCookie(userId));
  sockets.push(socket);
  return socket;
}

const ids = (list: { userId: string }[] | undefined) => (list ?? []).map((u) => u.userId).sort();

beforeAll(async () => {
  pdb = await privateDatabase("presence");
  inbox = await createTestInbox(pdb.db, "Presence inbox");
  const [c] = await pdb.db
    .insert(contacts)
    .values({ waId: `55${randomDigits(10)}` })
    .returning();
  const [t] = await pdb.db.insert(threads).values({ inboxId: inbox.id, contactId: c.id }).returning();
  threadId = t.id;
  const env = { DATABASE_URL: pdb.url, REALTIME_ADAPTER: "postgres", WORKERS: "false", DB_POOL_MAX: "4" };
  [one, two, doomed] = await Promise.all([
    startAppProcess({ env, readyTimeoutMs: 90_000 }),
    startAppProcess({ env, readyTimeoutMs: 90_000 }),
    startAppProcess({ env, readyTimeoutMs: 90_000 }),
  ]);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all([one?.stop(), two?.stop(), doomed?.kill9()]);
  await pdb?.drop();
});

describe("presence and viewers across instances", () => {
  it("shows agents on both instances online and viewing, and drops the one who leaves", async () => {
    const alice = await createAgent(pdb.db, [inbox.id]);
    const bob = await createAgent(pdb.db, [inbox.id]);
    const a = await socketOn(one, alice.id);
    const presenceA = record(a, "presence:update");
    const viewersA = record(a, "thread:viewers");
    await until(() => ids(presenceA.at(-1)?.online).includes(alice.id), "Alice's own presence");

    const b = await socketOn(two, bob.id);
    const presenceB = record(b, "presence:update");
    const viewersB = record(b, "thread:viewers");
    const both = [alice.id, bob.id].sort();
    await until(() => ids(presenceA.at(-1)?.online).join() === both.join(), "both online, seen by Alice");
    await until(() => ids(presenceB.at(-1)?.online).join() === both.join(), "both online, seen by Bob");

    expect(await a.emitWithAck("thread:join", threadId)).toBe(true);
    await until(
      () => ids(viewersA.filter((e) => e.threadId === threadId).at(-1)?.viewers).join() === alice.id,
      "Alice viewing, seen by Alice",
    );
    expect(await b.emitWithAck("thread:join", threadId)).toBe(true);
    const lastFor = (seen: typeof viewersA) => seen.filter((e) => e.threadId === threadId).at(-1)?.viewers;
    await until(() => ids(lastFor(viewersA)).join() === both.join(), "both viewing, seen by Alice");
    await until(() => ids(lastFor(viewersB)).join() === both.join(), "both viewing, seen by Bob");

    // Bob types on instance two; Alice, on instance one, sees it.
    b.emit("thread:typing", { threadId, typing: true });
    await until(
      () => lastFor(viewersA)?.some((v) => v.userId === bob.id && v.typing),
      "Bob typing, seen by Alice",
    );
    expect(lastFor(viewersA)?.find((v) => v.userId === alice.id)?.typing).toBe(false);

    b.close();
    await until(() => ids(presenceA.at(-1)?.online).join() === alice.id, "Bob gone from Alice's online list");
    await until(() => ids(lastFor(viewersA)).join() === alice.id, "Bob gone from the thread's viewers");
    // Nothing flips back: later recomputes (a periodic sweep runs every 10 s) agree.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ids(presenceA.at(-1)?.online)).toEqual([alice.id]);
  });

  it("drops the agents of an instance that dies without a goodbye", { timeout: 90_000 }, async () => {
    const alice = await createAgent(pdb.db, [inbox.id]);
    const carol = await createAgent(pdb.db, [inbox.id]);
    const a = await socketOn(one, alice.id);
    const presenceA = record(a, "presence:update");
    const viewersA = record(a, "thread:viewers");
    const c = await socketOn(doomed, carol.id);
    await until(() => ids(presenceA.at(-1)?.online).includes(carol.id), "Carol online, seen by Alice");
    expect(await a.emitWithAck("thread:join", threadId)).toBe(true);
    expect(await c.emitWithAck("thread:join", threadId)).toBe(true);
    const lastFor = () => viewersA.filter((e) => e.threadId === threadId).at(-1)?.viewers;
    await until(() => ids(lastFor()).includes(carol.id), "Carol viewing, seen by Alice");

    await doomed.kill9();
    // The adapter gives up on a silent instance after its 10 s heartbeat timeout; the next sweep
    // (every 10 s) then no longer hears of Carol.
    await until(() => !ids(presenceA.at(-1)?.online).includes(carol.id), "Carol gone from presence", 60_000);
    await until(() => !ids(lastFor()).includes(carol.id), "Carol gone from the viewers", 20_000);
    expect(ids(presenceA.at(-1)?.online)).toContain(alice.id);
    expect(ids(lastFor())).toContain(alice.id);
  });
});
