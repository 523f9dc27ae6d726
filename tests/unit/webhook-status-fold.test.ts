import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  foldStatuses,
  type MessageDeliveryFields,
  type StatusInput,
} from "../../lib/services/ingest-statuses";
import { KNOWN_ERROR_CODES, metaErrorText } from "../../lib/whatsapp/error-text";
import { statusSchema } from "../../lib/whatsapp/webhook-schemas";

const T0 = Date.parse("2026-03-01T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const pending: MessageDeliveryFields = {
  status: "pending",
  sentAt: null,
  deliveredAt: null,
  readAt: null,
  failedAt: null,
  errorCode: null,
  errorText: null,
  metaPricing: null,
  metaConversation: null,
};
const st = (status: string, s: number, extra: Record<string, unknown> = {}): StatusInput => ({
  status,
  at: at(s),
  item: statusSchema.parse({
    id: "wamid.x",
    status,
    timestamp: String(Math.floor((T0 + s * 1000) / 1000)),
    ...extra,
  }),
});

describe("foldStatuses", () => {
  it("advances sent → delivered → read with each time", () => {
    const r = foldStatuses(pending, [st("sent", 1), st("delivered", 2), st("read", 9)]);
    expect(r).toMatchObject({ status: "read", sentAt: at(1), deliveredAt: at(2), readAt: at(9) });
  });

  it("counts read without delivered as delivered at the read time", () => {
    const r = foldStatuses(pending, [st("sent", 1), st("read", 5)]);
    expect(r).toMatchObject({ status: "read", deliveredAt: at(5), readAt: at(5) });
  });

  it("never moves back: delivered after read, applied in a second pass", () => {
    const afterRead = foldStatuses(pending, [st("read", 5)]);
    const r = foldStatuses(afterRead, [st("delivered", 3)]);
    expect(r.status).toBe("read");
    // The real delivery time (earlier than the read) replaces the one inferred from `read`.
    expect(r.deliveredAt).toEqual(at(3));
  });

  it("failed beats sent, with the code and a sentence; delivered/read beat failed", () => {
    const failed = foldStatuses(pending, [
      st("sent", 1),
      st("failed", 2, { errors: [{ code: 131026, title: "Message undeliverable" }] }),
    ]);
    expect(failed).toMatchObject({ status: "failed", failedAt: at(2), errorCode: 131026 });
    expect(failed.errorText).toMatch(/undeliverable/i);
    expect(foldStatuses(failed, [st("delivered", 3)]).status).toBe("delivered");
    const read = foldStatuses(pending, [st("read", 3)]);
    expect(foldStatuses(read, [st("failed", 4, { errors: [{ code: 131000 }] })]).status).toBe("read");
  });

  it("falls back to Meta's words for codes it does not know", () => {
    const r = foldStatuses(pending, [
      st("failed", 2, {
        errors: [{ code: 999999, title: "Odd thing.", error_data: { details: "Details here" } }],
      }),
    ]);
    expect(r.errorText).toBe("Odd thing: Details here (Meta error 999999).");
  });

  it("merges pricing and conversation across statuses", () => {
    const r = foldStatuses(pending, [
      st("sent", 1, {
        conversation: { id: "c1", expiration_timestamp: "1750116480", origin: { type: "marketing" } },
        pricing: { billable: true, pricing_model: "CBP", category: "marketing" },
      }),
      st("delivered", 2, {
        conversation: { id: "c1", origin: { type: "marketing" } },
        pricing: { type: "regular" },
      }),
    ]);
    expect(r.metaConversation).toMatchObject({ id: "c1", expiration_timestamp: "1750116480" });
    expect(r.metaPricing).toMatchObject({ pricing_model: "CBP", category: "marketing", type: "regular" });
  });

  it("ignores statuses it does not know and leaves inbound messages alone", () => {
    expect(foldStatuses(pending, [st("deleted", 1)])).toEqual(pending);
    expect(foldStatuses({ ...pending, status: "received" }, [st("read", 1)]).status).toBe("received");
  });

  it("ends in the same row whatever the order and however often statuses arrive", () => {
    const kinds = ["sent", "delivered", "read", "failed"] as const;
    const arb = fc.array(fc.record({ k: fc.constantFrom(...kinds), s: fc.integer({ min: 0, max: 100 }) }), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 7 }), (list, split) => {
        // Meta's unique key is wamid+status: one time per status.
        const unique = [...new Map(list.map((x) => [x.k, x])).values()].map((x) => st(x.k, x.s));
        const once = foldStatuses(pending, unique);
        const reversed = foldStatuses(pending, [...unique].reverse());
        const cut = Math.min(split, unique.length);
        const twoPasses = foldStatuses(foldStatuses(pending, unique.slice(cut)), unique.slice(0, cut));
        const redelivered = foldStatuses(once, unique);
        for (const r of [reversed, twoPasses, redelivered]) expect(r).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe("metaErrorText", () => {
  it("has an English sentence for the codes the product relies on", () => {
    for (const code of [
      131047, 131026, 131049, 130429, 131056, 132000, 132001, 132015, 132016, 131051, 131052, 131053,
    ]) {
      expect(KNOWN_ERROR_CODES).toContain(code);
      const text = metaErrorText({ code, title: "ignored" });
      expect(text).toMatch(/^[A-Z].*\.$/);
      expect(text).not.toContain("ignored");
    }
    expect(metaErrorText({ code: 131047 })).toMatch(/24 hours/);
  });

  it("falls back to Meta's title and details, then to the code", () => {
    expect(metaErrorText({ code: 1, title: "Unknown" })).toBe("Unknown (Meta error 1).");
    expect(metaErrorText({ code: "7", message: "Boom", error_data: { details: "More" } })).toBe(
      "Boom: More (Meta error 7).",
    );
    expect(metaErrorText({ code: 42 })).toBe("Meta reported error 42.");
    expect(metaErrorText(null)).toMatch(/without details/);
  });
});
