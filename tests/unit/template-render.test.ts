import { describe, expect, it } from "vitest";
import { DEMO_TEMPLATES } from "@/db/demo-data";
import {
  draftFromTemplate,
  emptyDraft,
  storedComponentsFromMeta,
  type TemplateDraft,
  toMetaCreate,
  toStoredComponents,
} from "@/lib/templates/draft";
import { renderPreview, renderWithParams, templateExamples, whatsappFormat } from "@/lib/templates/render";
import { statusEffect, statusReason, unavailableText } from "@/lib/templates/status";
import type { StoredTemplateComponent } from "@/lib/whatsapp/template-params";

function fullDraft(): TemplateDraft {
  const d = emptyDraft("en_US");
  d.name = "order_shipped";
  d.header = { format: "TEXT", text: "Order {{1}}", example: "#1042", mediaSample: "" };
  d.body = { text: "Hi {{1}}, it arrives {{2}}.", examples: { "1": "Maria", "2": "tomorrow" } };
  d.footer = { text: "Thanks for shopping" };
  d.buttons = [
    { type: "URL", text: "Track", url: "https://shop.example.com/t/{{1}}", example: "1042", phoneNumber: "" },
    { type: "PHONE_NUMBER", text: "Call us", url: "", example: "", phoneNumber: "+5511987654321" },
  ];
  return d;
}

describe("toMetaCreate", () => {
  it("builds Meta's create body with positional examples", () => {
    expect(toMetaCreate(fullDraft())).toEqual({
      name: "order_shipped",
      language: "en_US",
      category: "UTILITY",
      parameter_format: "POSITIONAL",
      components: [
        { type: "HEADER", format: "TEXT", text: "Order {{1}}", example: { header_text: ["#1042"] } },
        {
          type: "BODY",
          text: "Hi {{1}}, it arrives {{2}}.",
          example: { body_text: [["Maria", "tomorrow"]] },
        },
        { type: "FOOTER", text: "Thanks for shopping" },
        {
          type: "BUTTONS",
          buttons: [
            {
              type: "URL",
              text: "Track",
              url: "https://shop.example.com/t/{{1}}",
              example: ["https://shop.example.com/t/1042"],
            },
            { type: "PHONE_NUMBER", text: "Call us", phone_number: "+5511987654321" },
          ],
        },
      ],
    });
  });

  it("builds named examples", () => {
    const d = emptyDraft();
    d.name = "follow_up";
    d.body = {
      text: "Hi {{first_name}}, about {{ticket}}.",
      examples: { first_name: "Maria", ticket: "#88" },
    };
    expect(toMetaCreate(d)).toMatchObject({
      parameter_format: "NAMED",
      components: [
        {
          type: "BODY",
          example: {
            body_text_named_params: [
              { param_name: "first_name", example: "Maria" },
              { param_name: "ticket", example: "#88" },
            ],
          },
        },
      ],
    });
  });

  it("authentication: create form for Meta, stored form with Meta's text", () => {
    const d = emptyDraft();
    d.name = "login_otp";
    d.category = "AUTHENTICATION";
    d.auth = { securityRecommendation: true, codeExpirationMinutes: 5, buttonText: "Copy code" };
    expect(toMetaCreate(d).components).toEqual([
      { type: "BODY", add_security_recommendation: true },
      { type: "FOOTER", code_expiration_minutes: 5 },
      { type: "BUTTONS", buttons: [{ type: "OTP", otp_type: "COPY_CODE", text: "Copy code" }] },
    ]);
    const preview = renderPreview(toStoredComponents(d));
    expect(preview.body).toBe(
      "*123456* is your verification code. For your security, do not share this code.",
    );
    expect(preview.footer).toBe("This code expires in 5 minutes.");
    // The simulator (and Meta's create echo) lists it in create form; we store the readable form.
    expect(
      storedComponentsFromMeta("AUTHENTICATION", toMetaCreate(d).components as StoredTemplateComponent[]),
    ).toEqual(toStoredComponents(d));
  });
});

describe("draftFromTemplate", () => {
  it("round-trips a draft through stored components", () => {
    const d = fullDraft();
    expect(draftFromTemplate({ ...d, components: toStoredComponents(d) })).toEqual(d);
  });
  it("reads every demo template back into a valid-looking draft", () => {
    for (const t of DEMO_TEMPLATES) {
      const d = draftFromTemplate({ ...t, components: t.components as StoredTemplateComponent[] });
      expect(d.name).toBe(t.name);
      if (t.category !== "AUTHENTICATION")
        expect(d.body.text).toBe((t.components.find((c) => c.type === "BODY") as { text: string }).text);
    }
  });
});

describe("rendering", () => {
  const components = toStoredComponents(fullDraft());

  it("renders the preview with the examples", () => {
    expect(renderPreview(components)).toEqual({
      header: "Order #1042",
      headerMedia: null,
      body: "Hi Maria, it arrives tomorrow.",
      footer: "Thanks for shopping",
      buttons: [
        { type: "url", text: "Track", url: "https://shop.example.com/t/1042" },
        { type: "phone_number", text: "Call us" },
      ],
    });
  });

  it("leaves variables without an example visible while the admin types", () => {
    const d = fullDraft();
    d.body.examples = { "1": "Maria" };
    d.buttons[0].example = "";
    const r = renderPreview(toStoredComponents(d));
    expect(r.body).toBe("Hi Maria, it arrives {{2}}.");
    expect(r.buttons[0].url).toBe("https://shop.example.com/t/{{1}}");
  });

  it("reads examples back by variable", () => {
    const ex = templateExamples(components);
    expect([...ex.body]).toEqual([
      ["1", "Maria"],
      ["2", "tomorrow"],
    ]);
    expect([...ex.header]).toEqual([["1", "#1042"]]);
    expect([...ex.buttonValues]).toEqual([[0, "1042"]]);
  });

  it("renders partial parameters, leaving unfilled variables visible", () => {
    const r = renderWithParams(components, { params: ["Ana"], headerParams: ["#7"], buttonParams: ["7"] });
    expect(r.body).toBe("Hi Ana, it arrives {{2}}.");
    expect(r.header).toBe("Order #7");
    expect(r.buttons[0].url).toBe("https://shop.example.com/t/7");
  });

  it("renders named parameters given by name", () => {
    const named: StoredTemplateComponent[] = [{ type: "BODY", text: "Hi {{first_name}}, about {{ticket}}." }];
    expect(renderWithParams(named, { params: { first_name: "Ana", ticket: "#9" } }).body).toBe(
      "Hi Ana, about #9.",
    );
  });

  it("splits WhatsApp formatting", () => {
    expect(whatsappFormat("*123* is _your_ ~old~ ```code```.")).toEqual([
      { text: "123", bold: true },
      { text: " is " },
      { text: "your", italic: true },
      { text: " " },
      { text: "old", strike: true },
      { text: " " },
      { text: "code", mono: true },
      { text: "." },
    ]);
  });
});

describe("statuses", () => {
  it.each([
    ["APPROVED", { kind: "status", status: "APPROVED" }],
    ["paused", { kind: "status", status: "PAUSED" }],
    ["REINSTATED", { kind: "status", status: "APPROVED" }],
    ["PENDING_DELETION", { kind: "deleted" }],
    ["FLAGGED", { kind: "quality", qualityRating: "RED" }],
    ["SOMETHING_NEW", null],
  ])("%s", (event, effect) => {
    expect(statusEffect(event)).toEqual(effect);
  });
  it("keeps Meta's reason, or the pause description", () => {
    expect(statusReason("REJECTED", "INVALID_FORMAT")).toBe("INVALID_FORMAT");
    expect(statusReason("APPROVED", "NONE")).toBeNull();
    expect(statusReason("PAUSED", "NONE", { title: "FIRST_PAUSE", description: "Paused for 3 hours." })).toBe(
      "Paused for 3 hours.",
    );
  });
  it("tells agents why a template left the picker", () => {
    expect(unavailableText({ name: "summer_sale", status: "PAUSED", reason: "Paused for 3 hours." })).toBe(
      'Template "summer_sale" was paused by WhatsApp because of low quality (Paused for 3 hours.). Choose another template.',
    );
    expect(unavailableText({ name: "summer_sale", status: "APPROVED", visibleToAgents: false })).toBe(
      'An admin hid template "summer_sale" from agents. Choose another template.',
    );
  });
});
