import { describe, expect, it } from "vitest";
import { missingPositions, orderedVariables, scanVariables } from "@/lib/templates/variables";
import { templateVariables } from "@/lib/whatsapp/template-params";

describe("scanVariables", () => {
  it.each([
    ["no variables", "Hello there.", "none", []],
    ["positional", "Hi {{1}}, order {{2}} — {{1}} again.", "positional", ["1", "2"]],
    ["named", "Hi {{first_name}}, ticket {{ticket_2}}.", "named", ["first_name", "ticket_2"]],
    ["mixed", "Hi {{1}}, ticket {{ticket}}.", "mixed", ["1", "ticket"]],
  ] as const)("%s", (_l, text, kind, names) => {
    const s = scanVariables(text);
    expect(s.kind).toBe(kind);
    expect(s.names).toEqual(names);
    expect(s.invalid).toEqual([]);
    expect(s.strayBraces).toBe(false);
  });

  it("flags malformed tokens and stray braces", () => {
    expect(scanVariables("Hi {{First Name}} {{ 1 }} {{0}} {{}}").invalid).toEqual([
      "{{First Name}}",
      "{{ 1 }}",
      "{{0}}",
      "{{}}",
    ]);
    expect(scanVariables("Hi {{1}").strayBraces).toBe(true);
    expect(scanVariables("Hi 1}}").strayBraces).toBe(true);
    expect(scanVariables("Hi {{1}}").strayBraces).toBe(false);
  });

  it("records offsets of every occurrence", () => {
    expect(scanVariables("{{1}} x {{1}}").occurrences).toEqual([
      { name: "1", start: 0, end: 5 },
      { name: "1", start: 8, end: 13 },
    ]);
  });

  it("finds gaps and orders positional variables numerically", () => {
    expect(missingPositions(["1", "3", "5"])).toEqual([2, 4]);
    expect(missingPositions(["2", "1"])).toEqual([]);
    expect(orderedVariables(["10", "2", "1"])).toEqual(["1", "2", "10"]);
    expect(orderedVariables(["b", "a"])).toEqual(["b", "a"]);
  });
});

describe("templateVariables (stored components, used by the send service)", () => {
  it("extracts positional header, body and URL button variables", () => {
    const v = templateVariables([
      { type: "HEADER", format: "TEXT", text: "Order {{1}}" },
      { type: "BODY", text: "Hi {{2}}, order {{1}} arrives {{3}}." },
      {
        type: "BUTTONS",
        buttons: [
          { type: "QUICK_REPLY", text: "OK" },
          { type: "URL", text: "Track", url: "https://a.example.com/t/{{1}}" },
          { type: "URL", text: "Home", url: "https://a.example.com" },
        ],
      },
    ]);
    expect(v).toEqual({
      named: false,
      header: ["1"],
      headerMedia: null,
      body: ["1", "2", "3"],
      buttons: [{ index: 1, variables: ["1"] }],
    });
  });

  it("extracts named variables and media headers", () => {
    const v = templateVariables([
      { type: "HEADER", format: "IMAGE" },
      { type: "BODY", text: "Hi {{first_name}}, ticket {{ticket}}." },
    ]);
    expect(v).toMatchObject({
      named: true,
      header: [],
      headerMedia: "image",
      body: ["first_name", "ticket"],
    });
  });
});
