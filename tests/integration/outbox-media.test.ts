import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { messages } from "../../db/schema";
import { resetEnvCache } from "../../lib/env";
import { drainInboundMedia, resolveMediaPath, saveMediaFile } from "../../lib/services/media";
import { sendMessage } from "../../lib/services/send-message";
import {
  createTestInbox,
  customerWrites,
  drainUntil,
  type Harness,
  messageRow,
  randomWaId,
  simPost,
  simSent,
  startHarness,
  type TestInbox,
  waitFor,
} from "./send-harness";

const db = getDb();
let h: Harness;
let inbox: TestInbox;
let mediaDir: string;

beforeAll(async () => {
  mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), "wa-media-"));
  process.env.MEDIA_DIR = mediaDir;
  h = await startHarness(); // resets the env cache after GRAPH_API_URL; MEDIA_DIR rides along
  inbox = await createTestInbox(db, h);
});

afterAll(async () => {
  await h?.close();
  delete process.env.MEDIA_DIR;
  resetEnvCache();
  fs.rmSync(mediaDir, { recursive: true, force: true });
});

describe("media", () => {
  it("downloads a customer's image into MEDIA_DIR and records its path and type", async () => {
    const waId = randomWaId();
    const { threadId } = await customerWrites(db, h, inbox, waId, "hi");
    await simPost(h, "/_sim/inbound", {
      from: waId,
      name: "Test Customer",
      type: "image",
      caption: "my receipt",
      phone_number_id: inbox.phoneNumberId,
    });
    const inbound = await waitFor(async () => {
      const [m] = await db
        .select()
        .from(messages)
        .where(and(eq(messages.threadId, threadId), eq(messages.type, "image")));
      return m;
    }, "the image message");
    expect(inbound.mediaId).toBeTruthy();
    expect(inbound.mediaPath).toBeNull();

    await waitFor(async () => {
      await drainInboundMedia(db, { inboxIds: [inbox.id] });
      return (await messageRow(db, inbound.id)).mediaPath ?? undefined;
    }, "the download");
    const stored = await messageRow(db, inbound.id);
    expect(stored.mediaMime).toMatch(/^image\//);
    expect(stored.attempts).toBe(1);
    const abs = resolveMediaPath(stored.mediaPath!)!;
    expect(abs.startsWith(mediaDir)).toBe(true);
    // The bytes are the simulator's file (checked against Meta's sha256 on download).
    const res = await fetch(`${h.simUrl}/phone/media/${stored.mediaId}`);
    expect(Buffer.compare(fs.readFileSync(abs), Buffer.from(await res.arrayBuffer()))).toBe(0);

    // Done is done: a second drain finds nothing to do.
    expect(await drainInboundMedia(db, { inboxIds: [inbox.id] })).toBe(0);
  });

  it("refuses paths outside MEDIA_DIR", () => {
    expect(resolveMediaPath("../../etc/passwd")).toBeNull();
    expect(resolveMediaPath("/etc/passwd")).toBeNull();
    expect(resolveMediaPath("inbound/2026-01/x.jpg")).toBe(path.join(mediaDir, "inbound/2026-01/x.jpg"));
  });

  it("uploads an attached file once and sends it by media id", async () => {
    const waId = randomWaId();
    const { threadId } = await customerWrites(db, h, inbox, waId, "send me the invoice");
    const pdf = Buffer.from(`%PDF-1.4\n% ${crypto.randomUUID()}\n%%EOF\n`);
    const rel = await saveMediaFile(pdf, {
      mime: "application/pdf",
      filename: "invoice.pdf",
      kind: "outbound",
    });
    const r = await sendMessage(db, {
      threadId,
      actor: { userId: null, role: "admin" },
      input: {
        type: "media",
        mediaKind: "document",
        mediaPath: rel,
        mime: "application/pdf",
        filename: "invoice.pdf",
        caption: "Your invoice",
      },
    });
    if (!r.ok) throw r.error;
    const sent = await drainUntil(
      db,
      inbox,
      async () => {
        const m = await messageRow(db, r.message.id);
        return m.wamid ? m : undefined;
      },
      "the document to be accepted",
    );
    expect(sent.mediaId).toBeTruthy();
    expect(sent.body).toBe("Your invoice");
    const phone = await simSent(h, { to: waId });
    expect(phone).toHaveLength(1);
    expect(phone[0].payload).toMatchObject({
      type: "document",
      document: { id: sent.mediaId, caption: "Your invoice", filename: "invoice.pdf" },
    });
  });

  it("refuses an attachment that is not in MEDIA_DIR", async () => {
    const { threadId } = await customerWrites(db, h, inbox, randomWaId());
    const r = await sendMessage(db, {
      threadId,
      actor: { userId: null, role: "admin" },
      input: { type: "media", mediaKind: "image", mediaPath: "../../../etc/passwd" },
    });
    expect(!r.ok && r.error).toMatchObject({ code: "invalid_input", details: { field: "mediaPath" } });
  });
});
