import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  type InboxRef,
  isStopWord,
  planIngest,
  previewOf,
  UNSUPPORTED_BODY,
} from "../../lib/services/ingest-plan";
import { parseStatus, parseWebhookBody } from "../../lib/whatsapp/webhook-schemas";

const dir = path.resolve(import.meta.dirname, "../fixtures/meta");
const fixture = (name: string) => JSON.parse(readFileSync(path.join(dir, name), "utf8"));
const inbox: InboxRef = { id: "inbox-1", phoneNumberId: "106540352242922", wabaId: "102290129340398" };

function planOf(body: unknown, inboxes: InboxRef[] = [inbox]) {
  const parsed = parseWebhookBody(body);
  if (!parsed.ok) throw new Error(parsed.issues);
  return planIngest(parsed.webhook, inboxes);
}

describe("every Meta fixture parses", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  it.each(files)("%s", (file) => {
    const parsed = parseWebhookBody(fixture(file));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const plan = planIngest(parsed.webhook, [inbox]);
    expect(plan.notes.filter((n) => n.includes("skipped"))).toEqual([]);
  });
});

describe("inbound message types", () => {
  const cases: [string, Partial<ReturnType<typeof planOf>["messages"][number]>][] = [
    ["inbound-text.json", { type: "text", body: "Does it come in another color?", mediaId: null }],
    [
      "inbound-image.json",
      { type: "image", body: "Is this the right one?", mediaId: "1003383421387256", mediaMime: "image/jpeg" },
    ],
    [
      "inbound-audio-voice.json",
      {
        type: "audio",
        body: "Voice message",
        mediaId: "1049298363745458",
        mediaMime: "audio/ogg; codecs=opus",
      },
    ],
    [
      "inbound-video.json",
      { type: "video", body: "Video", mediaId: "1166846181421424", mediaMime: "video/mp4" },
    ],
    [
      "inbound-document.json",
      { type: "document", body: "my receipt", mediaId: "622684793477189", mediaMime: "application/pdf" },
    ],
    [
      "inbound-sticker.json",
      { type: "sticker", body: "Sticker", mediaId: "1088580776238470", mediaMime: "image/webp" },
    ],
    [
      "inbound-location.json",
      { type: "location", body: "Location: Main Office, 1 Hacker Way, Menlo Park, CA 94025" },
    ],
    ["inbound-contacts.json", { type: "contacts", body: "Contact: Barbara J. Johnson" }],
    [
      "inbound-interactive-button-reply.json",
      {
        type: "interactive",
        body: "Change",
        replyToWamid: "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBJBM0Y4RUU0RUNFQkFDMjYzQUMA",
      },
    ],
    [
      "inbound-interactive-list-reply.json",
      {
        type: "interactive",
        body: "Express Shipping",
        replyToWamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJGQjY0RkE3RUM0QjlFQTNBOTAA",
      },
    ],
    [
      "inbound-button.json",
      { type: "button", body: "Unsubscribe from Promos", optOutCandidate: "Unsubscribe from Promos" },
    ],
    [
      "inbound-reaction.json",
      {
        type: "reaction",
        body: "Reacted 👍",
        replyToWamid: "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
      },
    ],
    ["inbound-unsupported.json", { type: "unsupported", body: UNSUPPORTED_BODY }],
  ];
  it.each(cases)("%s", (file, expected) => {
    const plan = planOf(fixture(file));
    expect(plan.messages).toHaveLength(1);
    const m = plan.messages[0];
    expect(m).toMatchObject({ inboxId: "inbox-1", waId: "16505551234", ...expected });
    expect(m.at.getTime() % 1000).toBe(0);
    expect(plan.contacts.get("16505551234")).toBeTruthy();
  });

  it("keeps the type object (plus referral/context) as the payload", () => {
    const doc = planOf(fixture("inbound-document.json")).messages[0];
    expect(doc.payload).toMatchObject({ filename: "receipt.pdf", sha256: expect.any(String) });
    const ctwa = planOf(fixture("inbound-text-ctwa-referral.json")).messages[0];
    expect(ctwa.payload).toMatchObject({
      body: "Can I get more info about this?",
      referral: { source_type: "ad" },
    });
    expect(ctwa.referral).toMatchObject({ source_id: "120226305854810726", ctwa_clid: expect.any(String) });
    const contacts = planOf(fixture("inbound-contacts.json")).messages[0];
    expect(contacts.payload.contacts).toHaveLength(1);
    const unsupported = planOf(fixture("inbound-unsupported.json")).messages[0];
    expect(unsupported.payload).toMatchObject({ reason: "unsupported", errors: [{ code: 131051 }] });
  });

  it("summarises messages without text", () => {
    const body = (type: string, obj: unknown) =>
      planOf({
        object: "whatsapp_business_account",
        entry: [
          {
            id: "1",
            changes: [
              {
                field: "messages",
                value: {
                  metadata: { phone_number_id: inbox.phoneNumberId },
                  messages: [{ from: "1", id: `wamid.${type}`, timestamp: "1700000000", type, [type]: obj }],
                },
              },
            ],
          },
        ],
      }).messages[0].body;
    expect(body("reaction", { message_id: "wamid.y" })).toBe("Removed a reaction");
    expect(body("reaction", { message_id: "wamid.y", emoji: "" })).toBe("Removed a reaction");
    expect(body("audio", { id: "1", mime_type: "audio/mpeg" })).toBe("Audio");
    expect(body("document", { id: "1", filename: "a.pdf" })).toBe("Document: a.pdf");
    expect(body("image", { id: "1" })).toBe("Photo");
    expect(body("location", { latitude: 1.5, longitude: -2 })).toBe("Location: 1.5, -2");
    expect(body("order", { catalog_id: "c", product_items: [{}, {}] })).toBe("Order: 2 items");
    expect(body("system", { body: "User changed number" })).toBe("User changed number");
  });
});

describe("tolerance and degradation", () => {
  it("tolerates unknown fields at every level", () => {
    const body = fixture("inbound-image.json");
    body.extra_top = 1;
    body.entry[0].extra = { a: 1 };
    body.entry[0].changes[0].extra = true;
    body.entry[0].changes[0].value.extra = "x";
    body.entry[0].changes[0].value.messages[0].extra = [1];
    body.entry[0].changes[0].value.messages[0].image.extra = null;
    const plan = planOf(body);
    expect(plan.messages[0]).toMatchObject({ type: "image", mediaId: "1003383421387256" });
    expect(plan.messages[0].payload).toHaveProperty("extra", null);
  });

  it("refuses bodies whose envelope is wrong", () => {
    expect(parseWebhookBody(null).ok).toBe(false);
    expect(parseWebhookBody([]).ok).toBe(false);
    expect(parseWebhookBody({ object: "page", entry: [] }).ok).toBe(false);
    expect(parseWebhookBody({ object: "whatsapp_business_account" }).ok).toBe(false);
    expect(parseWebhookBody({ object: "whatsapp_business_account", entry: [{ id: "1" }] }).ok).toBe(false);
    const noMetadata = fixture("inbound-text.json");
    delete noMetadata.entry[0].changes[0].value.metadata;
    const r = parseWebhookBody(noMetadata);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toContain("entry.0.changes.0.value");
    const messagesNotArray = fixture("inbound-text.json");
    messagesNotArray.entry[0].changes[0].value.messages = { 0: {} };
    expect(parseWebhookBody(messagesNotArray).ok).toBe(false);
    const badTemplate = fixture("template-status-approved.json");
    delete badTemplate.entry[0].changes[0].value.message_template_name;
    expect(parseWebhookBody(badTemplate).ok).toBe(false);
  });

  it("accepts an empty entry list and ignores fields it does not act on", () => {
    expect(parseWebhookBody({ object: "whatsapp_business_account", entry: [] }).ok).toBe(true);
    const r = parseWebhookBody({
      object: "whatsapp_business_account",
      entry: [{ id: "1", changes: [{ field: "account_update", value: { event: "VERIFIED_ACCOUNT" } }] }],
    });
    expect(r.ok && r.webhook.ignoredFields).toEqual(["account_update"]);
  });

  it("stores a message whose type object is malformed as unsupported, with the raw item", () => {
    const body = fixture("inbound-image.json");
    delete body.entry[0].changes[0].value.messages[0].image.id;
    const m = planOf(body).messages[0];
    expect(m).toMatchObject({ type: "unsupported", body: UNSUPPORTED_BODY, mediaId: null });
    expect(m.payload).toMatchObject({
      reason: "invalid_content",
      originalType: "image",
      raw: { type: "image" },
    });
    expect(String(m.payload.issues)).toContain("id");
  });

  it("keeps an unknown type under its own name, shown as unsupported", () => {
    const body = fixture("inbound-text.json");
    const msg = body.entry[0].changes[0].value.messages[0];
    msg.type = "hologram";
    msg.hologram = { depth: 3 };
    delete msg.text;
    const m = planOf(body).messages[0];
    expect(m).toMatchObject({ type: "hologram", body: UNSUPPORTED_BODY });
    expect(m.payload).toMatchObject({ reason: "unknown_type", raw: { hologram: { depth: 3 } } });
  });

  it("skips (and notes) items that cannot be identified, keeping the rest", () => {
    const body = fixture("inbound-text.json");
    const ok = body.entry[0].changes[0].value.messages[0];
    body.entry[0].changes[0].value.messages = [{ type: "text", text: { body: "no id" } }, ok];
    body.entry[0].changes[0].value.statuses = [{ id: "wamid.s", status: "sent" }];
    const plan = planOf(body);
    expect(plan.messages.map((m) => m.wamid)).toEqual([ok.id]);
    expect(plan.statuses).toEqual([]);
    expect(plan.notes).toHaveLength(2);
    expect(plan.notes[0]).toMatch(/^message 0 skipped/);
    expect(plan.notes[1]).toMatch(/^status 0 skipped/);
  });

  it("plans nothing but the note for a number no inbox has", () => {
    const plan = planOf(fixture("inbound-text.json"), []);
    expect(plan.messages).toEqual([]);
    expect(plan.unknownPhoneNumberIds).toEqual(["106540352242922"]);
  });

  it("notes value-level errors", () => {
    const plan = planOf(fixture("value-errors-130429.json"));
    expect(plan.notes.join()).toContain("130429");
  });

  it("deduplicates repeated messages and statuses inside one body", () => {
    const body = fixture("inbound-text.json");
    const v = body.entry[0].changes[0].value;
    v.messages = [v.messages[0], v.messages[0]];
    v.statuses = [
      { id: "wamid.a", status: "read", timestamp: "1700000000" },
      { id: "wamid.a", status: "read", timestamp: "1700000001" },
      { id: "wamid.a", status: "delivered", timestamp: "1700000000" },
    ];
    const plan = planOf(body);
    expect(plan.messages).toHaveLength(1);
    expect(plan.statuses.map((s) => s.status)).toEqual(["read", "delivered"]);
  });
});

describe("statuses", () => {
  it("parses pricing, conversation and errors", () => {
    const s = parseStatus(fixture("status-sent-cbp-service.json").entry[0].changes[0].value.statuses[0]);
    expect(s.ok && s.status).toMatchObject({
      status: "sent",
      conversation: { id: "7270432eae37498234f4444b35ffc5", origin: { type: "service" } },
      pricing: { pricing_model: "CBP", category: "service" },
    });
    const f = parseStatus(fixture("status-failed-131049.json").entry[0].changes[0].value.statuses[0]);
    expect(f.ok && f.status.errors?.[0].code).toBe(131049);
  });

  it("keeps statuses it does not act on and survives malformed sub-objects", () => {
    const s = parseStatus({
      id: "wamid.a",
      status: "deleted",
      timestamp: 1700000000,
      pricing: "weird",
      errors: [{}],
    });
    expect(s.ok && s.status).toMatchObject({ status: "deleted", pricing: undefined, errors: [] });
    expect(s.ok && s.status.timestamp.toISOString()).toBe("2023-11-14T22:13:20.000Z");
  });
});

describe("helpers", () => {
  it("matches stop words trimmed and case-insensitively", () => {
    expect(isStopWord("  stop ", ["STOP", "PARAR"])).toBe(true);
    expect(isStopWord("Parar", ["STOP", "PARAR"])).toBe(true);
    expect(isStopWord("please stop", ["STOP"])).toBe(false);
    expect(isStopWord("", ["STOP"])).toBe(false);
    expect(isStopWord(null, ["STOP"])).toBe(false);
  });

  it("makes one-line previews of at most 140 characters", () => {
    expect(previewOf("a\n\nb")).toBe("a b");
    expect(previewOf("x".repeat(200))).toHaveLength(140);
  });
});
