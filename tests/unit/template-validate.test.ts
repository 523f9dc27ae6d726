import { describe, expect, it } from "vitest";
import { emptyDraft, type TemplateDraft } from "@/lib/templates/draft";
import { draftVariables, editProblems, validateTemplateDraft } from "@/lib/templates/validate";

/** A valid utility draft with two positional variables; each case breaks one thing. */
function valid(): TemplateDraft {
  const d = emptyDraft("en_US");
  d.name = "order_update";
  d.category = "UTILITY";
  d.body = { text: "Hello {{1}}, your order {{2}} has shipped.", examples: { "1": "Maria", "2": "#1042" } };
  return d;
}

function errorsOf(change: (d: TemplateDraft) => void) {
  const d = valid();
  change(d);
  return validateTemplateDraft(d).errors;
}

describe("validateTemplateDraft", () => {
  it("accepts a valid draft", () => {
    expect(validateTemplateDraft(valid())).toEqual({ ok: true, errors: {} });
  });

  it.each([
    ["empty name", (d: TemplateDraft) => (d.name = ""), "name", "Give the template a name."],
    [
      "uppercase name",
      (d: TemplateDraft) => (d.name = "Order_Update"),
      "name",
      "Use only lowercase letters, digits and underscores (e.g. order_update).",
    ],
    [
      "name with a space",
      (d: TemplateDraft) => (d.name = "order update"),
      "name",
      "Use only lowercase letters, digits and underscores (e.g. order_update).",
    ],
    [
      "name with a hyphen",
      (d: TemplateDraft) => (d.name = "order-update"),
      "name",
      "Use only lowercase letters, digits and underscores (e.g. order_update).",
    ],
    [
      "name of 513 chars",
      (d: TemplateDraft) => (d.name = "a".repeat(513)),
      "name",
      "The name is 513 characters; the limit is 512.",
    ],
    [
      "unknown language",
      (d: TemplateDraft) => (d.language = "xx_YY"),
      "language",
      '"xx_YY" is not a language Meta supports.',
    ],
    ["empty body", (d: TemplateDraft) => (d.body.text = "   "), "body.text", "Write the message body."],
    [
      "body of 1,025 chars",
      (d: TemplateDraft) => {
        d.body.text = `Hi ${"x".repeat(1022)}`;
        d.body.examples = {};
      },
      "body.text",
      "The body is 1025 characters; the limit is 1024.",
    ],
    [
      "mixed variables",
      (d: TemplateDraft) => (d.body.text = "Hi {{1}}, your order {{order_id}} shipped."),
      "body.text",
      "Use either numbered variables ({{1}}) or named ones ({{first_name}}), not both.",
    ],
    [
      "a gap in positions",
      (d: TemplateDraft) => (d.body.text = "Hi {{1}}, your order {{3}} shipped."),
      "body.text",
      "Numbered variables must run from {{1}} without gaps: {{2}} is missing.",
    ],
    [
      "a bad variable name",
      (d: TemplateDraft) => (d.body.text = "Hi {{First Name}}, welcome."),
      "body.text",
      "{{First Name}} is not a valid variable: use {{1}}, {{2}}… or a name in lowercase letters, digits and underscores like {{first_name}}.",
    ],
    [
      "an unclosed variable",
      (d: TemplateDraft) => (d.body.text = "Hi {{1}, welcome."),
      "body.text",
      "A variable is not closed: write it as {{1}} or {{first_name}}.",
    ],
    [
      "body starting with a variable",
      (d: TemplateDraft) => (d.body.text = "{{1}}, your order {{2}} has shipped."),
      "body.text",
      "The body cannot start with a variable: put some text before it.",
    ],
    [
      "body ending with a variable",
      (d: TemplateDraft) => (d.body.text = "Hello {{1}}, your order is {{2}}"),
      "body.text",
      "The body cannot end with a variable: put some text (even a full stop) after it.",
    ],
    [
      "missing example",
      (d: TemplateDraft) => (d.body.examples = { "1": "Maria" }),
      "body.examples.2",
      "Give an example value for {{2}}: Meta reviews the template with it.",
    ],
    [
      "blank example",
      (d: TemplateDraft) => (d.body.examples["1"] = "  "),
      "body.examples.1",
      "Give an example value for {{1}}: Meta reviews the template with it.",
    ],
    [
      "example with a newline",
      (d: TemplateDraft) => (d.body.examples["1"] = "Ma\nria"),
      "body.examples.1",
      "The example for {{1}} cannot contain line breaks, tabs or more than 4 spaces in a row.",
    ],
    [
      "footer of 61 chars",
      (d: TemplateDraft) => (d.footer.text = "f".repeat(61)),
      "footer.text",
      "The footer is 61 characters; the limit is 60.",
    ],
    [
      "footer with a variable",
      (d: TemplateDraft) => (d.footer.text = "Bye {{1}}"),
      "footer.text",
      "The footer cannot contain variables.",
    ],
  ])("%s", (_label, change, key, message) => {
    expect(errorsOf(change)).toMatchObject({ [key]: message });
  });

  describe("header", () => {
    it("text header with one variable and its example is valid", () => {
      const d = valid();
      d.header = { format: "TEXT", text: "Order {{1}}", example: "#1042", mediaSample: "" };
      expect(validateTemplateDraft(d).ok).toBe(true);
    });
    it.each([
      ["empty text", { text: "" }, "header.text", "Write the header text, or choose no header."],
      ["61 chars", { text: "h".repeat(61) }, "header.text", "The header is 61 characters; the limit is 60."],
      [
        "two variables",
        { text: "{{1}} and {{1}}", example: "x" },
        "header.text",
        "The header can have at most one variable.",
      ],
      [
        "variable {{2}}",
        { text: "Order {{2}}", example: "x" },
        "header.text",
        "Numbered variables must run from {{1}} without gaps: {{1}} is missing.",
      ],
      ["line break", { text: "Order\nnow" }, "header.text", "The header must be a single line."],
      [
        "variable without example",
        { text: "Order {{1}}", example: "" },
        "header.example",
        "Give an example value for {{1}}: Meta reviews the template with it.",
      ],
    ])("%s", (_l, header, key, message) => {
      const d = valid();
      d.header = { format: "TEXT", example: "", mediaSample: "", ...header };
      expect(validateTemplateDraft(d).errors).toMatchObject({ [key]: message });
    });
    it("header and body must use the same kind of variables", () => {
      const d = valid();
      d.header = { format: "TEXT", text: "Hi {{name}}", example: "Maria", mediaSample: "" };
      expect(validateTemplateDraft(d).errors["header.text"]).toBe(
        "Use the same kind of variables in the header and the body (numbered or named).",
      );
    });
    it("media header needs a sample", () => {
      const d = valid();
      d.header = { format: "IMAGE", text: "", example: "", mediaSample: "" };
      expect(validateTemplateDraft(d).errors["header.mediaSample"]).toBe(
        "Meta needs a sample image to review this template.",
      );
      d.header.mediaSample = "ftp://example.com/a.png";
      expect(validateTemplateDraft(d).errors["header.mediaSample"]).toBe(
        "The sample image must be an https:// link or an upload handle.",
      );
      d.header.mediaSample = "https://example.com/a.png";
      expect(validateTemplateDraft(d).ok).toBe(true);
    });
  });

  describe("named variables", () => {
    it("accepts named variables with examples", () => {
      const d = valid();
      d.body = {
        text: "Hi {{first_name}}, ticket {{ticket}} is open.",
        examples: { first_name: "Maria", ticket: "#88" },
      };
      expect(validateTemplateDraft(d).ok).toBe(true);
    });
    it("asks for each named example", () => {
      const d = valid();
      d.body = { text: "Hi {{first_name}}, ticket {{ticket}} is open.", examples: { first_name: "Maria" } };
      expect(validateTemplateDraft(d).errors).toEqual({
        "body.examples.ticket": "Give an example value for {{ticket}}: Meta reviews the template with it.",
      });
    });
  });

  describe("buttons", () => {
    const button = (b: Partial<TemplateDraft["buttons"][number]>) => ({
      type: "QUICK_REPLY" as const,
      text: "OK",
      url: "",
      example: "",
      phoneNumber: "",
      ...b,
    });
    it("accepts quick replies, a URL with a variable at the end and a phone", () => {
      const d = valid();
      d.buttons = [
        button({ text: "Yes" }),
        button({ text: "No" }),
        button({ type: "URL", text: "Track", url: "https://shop.example.com/track/{{1}}", example: "1042" }),
        button({ type: "PHONE_NUMBER", text: "Call us", phoneNumber: "+5511987654321" }),
      ];
      expect(validateTemplateDraft(d)).toEqual({ ok: true, errors: {} });
    });
    it.each([
      ["empty label", [button({ text: "" })], "buttons.0.text", "Give the button a label."],
      [
        "label of 26 chars",
        [button({ text: "b".repeat(26) })],
        "buttons.0.text",
        "The label is 26 characters; the limit is 25.",
      ],
      [
        "duplicate labels",
        [button({ text: "Yes" }), button({ text: "Yes" })],
        "buttons.1.text",
        "Two buttons cannot have the same label.",
      ],
      [
        "11 buttons",
        Array.from({ length: 11 }, (_, i) => button({ text: `B${i}` })),
        "buttons",
        "A template can have at most 10 buttons (it has 11).",
      ],
      [
        "3 URL buttons",
        [1, 2, 3].map((i) => button({ type: "URL", text: `U${i}`, url: "https://a.example.com" })),
        "buttons",
        "At most 2 website buttons.",
      ],
      [
        "2 phone buttons",
        [1, 2].map((i) => button({ type: "PHONE_NUMBER", text: `P${i}`, phoneNumber: "+5511987654321" })),
        "buttons",
        "At most one phone number button.",
      ],
      [
        "interleaved quick replies",
        [
          button({ text: "A" }),
          button({ type: "URL", text: "U", url: "https://a.example.com" }),
          button({ text: "B" }),
        ],
        "buttons",
        "Keep quick replies together: put them all before or all after the website and phone buttons.",
      ],
      ["URL missing", [button({ type: "URL", text: "Go" })], "buttons.0.url", "Give the website address."],
      [
        "URL not http",
        [button({ type: "URL", text: "Go", url: "shop.example.com" })],
        "buttons.0.url",
        "Use a full address starting with https:// or http://.",
      ],
      [
        "URL variable in the middle",
        [button({ type: "URL", text: "Go", url: "https://a.example.com/{{1}}/x", example: "1" })],
        "buttons.0.url",
        "The variable must be at the end of the address.",
      ],
      [
        "URL with two variables",
        [button({ type: "URL", text: "Go", url: "https://a.example.com/{{1}}{{2}}", example: "1" })],
        "buttons.0.url",
        "A website address can have one variable, written {{1}}.",
      ],
      [
        "URL named variable",
        [button({ type: "URL", text: "Go", url: "https://a.example.com/{{id}}", example: "1" })],
        "buttons.0.url",
        "A website address's variable must be {{1}}.",
      ],
      [
        "URL variable without example",
        [button({ type: "URL", text: "Go", url: "https://a.example.com/{{1}}" })],
        "buttons.0.example",
        "Give an example value for the address's {{1}}: Meta reviews the template with it.",
      ],
      [
        "phone missing",
        [button({ type: "PHONE_NUMBER", text: "Call" })],
        "buttons.0.phoneNumber",
        "Give the phone number to call.",
      ],
      [
        "phone without country code",
        [button({ type: "PHONE_NUMBER", text: "Call", phoneNumber: "12345" })],
        "buttons.0.phoneNumber",
        "Use the full number with country code, e.g. +5511987654321 (at most 20 characters).",
      ],
    ])("%s", (_l, buttons, key, message) => {
      const d = valid();
      d.buttons = buttons;
      expect(validateTemplateDraft(d).errors).toMatchObject({ [key]: message });
    });
  });

  describe("authentication", () => {
    it("ignores body text and checks the copy-code settings", () => {
      const d = valid();
      d.category = "AUTHENTICATION";
      d.body.text = "";
      expect(validateTemplateDraft(d).ok).toBe(true);
      d.auth = { securityRecommendation: true, codeExpirationMinutes: 91, buttonText: "" };
      expect(validateTemplateDraft(d).errors).toEqual({
        "auth.codeExpirationMinutes": "The code's expiry must be between 1 and 90 minutes.",
        "auth.buttonText": "Give the copy-code button a label.",
      });
    });
  });
});

describe("draftVariables", () => {
  it("lists header, body (numeric order) and URL buttons with a variable", () => {
    const d = valid();
    d.header = { format: "TEXT", text: "Order {{1}}", example: "", mediaSample: "" };
    d.body.text = "Hi {{2}} and {{1}}.";
    d.buttons = [
      { type: "QUICK_REPLY", text: "OK", url: "", example: "", phoneNumber: "" },
      { type: "URL", text: "Go", url: "https://a.example.com/{{1}}", example: "", phoneNumber: "" },
    ];
    expect(draftVariables(d)).toEqual({ header: ["1"], body: ["1", "2"], urlButtons: [1] });
  });
});

describe("editProblems", () => {
  const existing = { name: "order_update", language: "en_US", category: "UTILITY", status: "APPROVED" };
  it("allows content edits of an approved template", () => {
    expect(editProblems(existing, valid())).toEqual({});
  });
  it.each(["PENDING", "DISABLED"])("refuses editing a %s template", (status) => {
    expect(editProblems({ ...existing, status }, valid()).form).toBe(
      `Only approved, rejected or paused templates can be edited; this one is ${status}.`,
    );
  });
  it("refuses changing an approved template's category, but not a rejected one's", () => {
    const d = valid();
    d.category = "MARKETING";
    expect(editProblems(existing, d).category).toBe("An approved template's category cannot change.");
    expect(editProblems({ ...existing, status: "REJECTED" }, d)).toEqual({});
  });
  it("refuses renaming or changing language", () => {
    const d = valid();
    d.name = "other";
    d.language = "pt_BR";
    expect(Object.keys(editProblems(existing, d)).sort()).toEqual(["language", "name"]);
  });
});
