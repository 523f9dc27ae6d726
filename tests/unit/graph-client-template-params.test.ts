import { describe, expect, it } from "vitest";
import { buildTemplateSend, templateVariables, variablesIn } from "../../lib/whatsapp/template-params";

const orderUpdate = {
  name: "order_update",
  components: [{ type: "BODY", text: "Hello {{1}}, your order {{2}} has shipped and arrives {{3}}." }],
};
const summerSale = {
  name: "summer_sale",
  components: [
    { type: "HEADER", format: "TEXT", text: "Summer sale for {{1}}" },
    { type: "BODY", text: "Hi {{1}}, our summer sale ends on {{2}}." },
    { type: "FOOTER", text: "Reply STOP to opt out" },
    {
      type: "BUTTONS",
      buttons: [
        { type: "QUICK_REPLY", text: "I want it" },
        { type: "URL", text: "Shop", url: "https://shop.example/{{1}}" },
      ],
    },
  ],
};
const followUp = {
  name: "follow_up",
  components: [{ type: "BODY", text: "Hi {{first_name}}, about {{ticket}} — {{first_name}} please reply." }],
};

describe("variablesIn", () => {
  it("lists distinct variables, positional ones in numeric order", () => {
    expect(variablesIn("{{2}} and {{1}} and {{2}}")).toEqual(["1", "2"]);
    expect(variablesIn("{{ name }} {{other_1}}")).toEqual(["name", "other_1"]);
    expect(variablesIn(undefined)).toEqual([]);
  });
});

describe("templateVariables", () => {
  it("finds header, body and URL-button variables", () => {
    expect(templateVariables(summerSale.components)).toEqual({
      named: false,
      header: ["1"],
      headerMedia: null,
      body: ["1", "2"],
      buttons: [{ index: 1, variables: ["1"] }],
    });
  });
  it("detects media headers and named variables", () => {
    const v = templateVariables([{ type: "header", format: "IMAGE" }, ...followUp.components]);
    expect(v).toMatchObject({ named: true, headerMedia: "image", body: ["first_name", "ticket"] });
  });
});

describe("buildTemplateSend", () => {
  it("builds positional body parameters and renders the text", () => {
    const r = buildTemplateSend(orderUpdate, { params: ["Maria", "#1042", "tomorrow"] });
    expect(r).toEqual({
      ok: true,
      components: [
        {
          type: "body",
          parameters: [
            { type: "text", text: "Maria" },
            { type: "text", text: "#1042" },
            { type: "text", text: "tomorrow" },
          ],
        },
      ],
      rendered: {
        header: null,
        headerMedia: null,
        body: "Hello Maria, your order #1042 has shipped and arrives tomorrow.",
        footer: null,
        buttons: [],
      },
    });
  });

  it("names every missing value in one sentence", () => {
    const r = buildTemplateSend(orderUpdate, { params: ["Maria"] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('Template "order_update" needs values for body {{2}}, {{3}}.');
  });

  it("treats blank values as missing and refuses extra ones", () => {
    const blank = buildTemplateSend(orderUpdate, { params: ["Maria", " ", "x"] });
    expect(!blank.ok && blank.message).toContain("a value for body {{2}}");
    const extra = buildTemplateSend(orderUpdate, { params: ["a", "b", "c", "d"] });
    expect(!extra.ok && extra.message).toContain("at most 3 body value(s) (4 given)");
  });

  it("refuses line breaks in a parameter (Meta error 132018)", () => {
    const r = buildTemplateSend(orderUpdate, { params: ["a\nb", "b", "c"] });
    expect(!r.ok && r.message).toContain("without line breaks");
  });

  it("fills header text and URL buttons", () => {
    const r = buildTemplateSend(summerSale, {
      headerParams: ["VIPs"],
      params: ["Maria", "Friday"],
      buttonParams: ["promo-42"],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.components).toEqual([
      { type: "header", parameters: [{ type: "text", text: "VIPs" }] },
      {
        type: "body",
        parameters: [
          { type: "text", text: "Maria" },
          { type: "text", text: "Friday" },
        ],
      },
      { type: "button", sub_type: "url", index: "1", parameters: [{ type: "text", text: "promo-42" }] },
    ]);
    expect(r.rendered).toMatchObject({
      header: "Summer sale for VIPs",
      body: "Hi Maria, our summer sale ends on Friday.",
      footer: "Reply STOP to opt out",
      buttons: [
        { type: "quick_reply", text: "I want it" },
        { type: "url", text: "Shop", url: "https://shop.example/promo-42" },
      ],
    });
  });

  it("accepts button values keyed by button index", () => {
    const r = buildTemplateSend(summerSale, {
      headerParams: ["x"],
      params: ["a", "b"],
      buttonParams: { "1": "p" },
    });
    expect(r.ok).toBe(true);
  });

  it("requires header and button values too", () => {
    const r = buildTemplateSend(summerSale, { params: ["Maria", "Friday"] });
    expect(!r.ok && r.message).toBe(
      'Template "summer_sale" needs a value for header {{1}}, a value for the URL of button 2.',
    );
  });

  it("sends named parameters with parameter_name, from a record or in order", () => {
    const byName = buildTemplateSend(followUp, { params: { first_name: "Ana", ticket: "#88" } });
    const inOrder = buildTemplateSend(followUp, { params: ["Ana", "#88"] });
    for (const r of [byName, inOrder]) {
      expect(r.ok && r.components).toEqual([
        {
          type: "body",
          parameters: [
            { type: "text", parameter_name: "first_name", text: "Ana" },
            { type: "text", parameter_name: "ticket", text: "#88" },
          ],
        },
      ]);
      expect(r.ok && r.rendered.body).toBe("Hi Ana, about #88 — Ana please reply.");
    }
    const wrong = buildTemplateSend(followUp, { params: { first_name: "Ana", tiket: "#88" } });
    expect(!wrong.ok && wrong.message).toContain("a value for body {{ticket}}");
    expect(!wrong.ok && wrong.message).toContain("no body variable(s) named {{tiket}}");
  });

  it("requires the header media of a media-header template", () => {
    const tpl = {
      name: "receipt",
      components: [
        { type: "HEADER", format: "DOCUMENT" },
        { type: "BODY", text: "Here." },
      ],
    };
    const missing = buildTemplateSend(tpl, {});
    expect(!missing.ok && missing.message).toBe('Template "receipt" needs a header document.');
    const ok = buildTemplateSend(tpl, {
      headerMedia: { kind: "document", link: "https://x/r.pdf", filename: "r.pdf" },
    });
    expect(ok.ok && ok.components).toEqual([
      {
        type: "header",
        parameters: [{ type: "document", document: { link: "https://x/r.pdf", filename: "r.pdf" } }],
      },
    ]);
  });

  it("needs nothing for a template without variables", () => {
    const r = buildTemplateSend({ name: "hello", components: [{ type: "BODY", text: "Hello!" }] }, {});
    expect(r).toMatchObject({ ok: true, components: [], rendered: { body: "Hello!" } });
  });
});
