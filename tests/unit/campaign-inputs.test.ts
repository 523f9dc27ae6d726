/** Campaign inputs: CSV audiences, per-recipient variables, pacing and schedules. */
import { describe, expect, it } from "vitest";
import { csvAudience, parseCsv } from "@/lib/campaigns/csv";
import { adjust, budget, MIN_RATE, newPacer, refill, spend } from "@/lib/campaigns/pacing";
import { utcToZonedInput, zonedTimeToUtc } from "@/lib/campaigns/schedule";
import {
  defaultMapping,
  mappingProblems,
  resolveParams,
  type VariableMapping,
} from "@/lib/campaigns/variables";
import { buildTemplateSend, templateVariables } from "@/lib/whatsapp/template-params";

function audience(text: string, phoneColumn?: string) {
  const parsed = parseCsv(text);
  if (!parsed.ok) throw new Error(parsed.message);
  const a = csvAudience(parsed.table, { phoneColumn });
  if (!a.ok) throw new Error(a.message);
  return a.audience;
}

describe("parseCsv", () => {
  it("reads quotes, escaped quotes, newlines inside quotes, CRLF and a BOM", () => {
    const r = parseCsv('\uFEFFphone,name,note\r\n+55 11 98765-4321,"Silva, Maria","said ""hi""\ntwice"\r\n');
    expect(r).toEqual({
      ok: true,
      table: {
        delimiter: ",",
        rows: [
          ["phone", "name", "note"],
          ["+55 11 98765-4321", "Silva, Maria", 'said "hi"\ntwice'],
        ],
      },
    });
  });

  it("detects semicolons (Excel in Brazil and most of Europe) and tabs", () => {
    expect(parseCsv("telefone;nome\n5511987654321;Ana\n")).toMatchObject({
      ok: true,
      table: { delimiter: ";" },
    });
    expect(parseCsv("phone\tname\n5511987654321\tAna")).toMatchObject({
      ok: true,
      table: { delimiter: "\t" },
    });
  });

  it("refuses empty files and unterminated quotes with a sentence", () => {
    expect(parseCsv("")).toEqual({ ok: false, message: "The file is empty." });
    expect(parseCsv("\n\n")).toEqual({ ok: false, message: "The file is empty." });
    expect(parseCsv('phone,name\n123,"Ana')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/quote/),
    });
  });
});

describe("csvAudience", () => {
  it("finds the phone column by its header and keeps the other columns as variables", () => {
    const a = audience("Nome;Celular;Pedido\nAna;+55 (11) 98765-4321;#1042\nBruno;011 5555;#1043\n");
    expect(a.phoneColumn).toBe("Celular");
    expect(a.variableColumns).toEqual(["Nome", "Pedido"]);
    expect(a.rows[0]).toEqual({
      line: 2,
      raw: "+55 (11) 98765-4321",
      waId: "5511987654321",
      problem: null,
      values: { Nome: "Ana", Pedido: "#1042" },
    });
    expect(a.rows[1]).toMatchObject({ line: 3, waId: null, problem: { reason: "leading_zero" } });
    expect(a).toMatchObject({ valid: 1, invalid: 1, hasHeader: true });
  });

  it("reads a file without a header (its first row is a number)", () => {
    const a = audience("5511987654321,Ana\n14155550100,Bob\n");
    expect(a.hasHeader).toBe(false);
    expect(a.columns).toEqual(["column_1", "column_2"]);
    expect(a.rows.map((r) => [r.line, r.waId, r.values.column_2])).toEqual([
      [1, "5511987654321", "Ana"],
      [2, "14155550100", "Bob"],
    ]);
  });

  it("reports a repeated number as a duplicate of the first line", () => {
    const a = audience("phone\n+55 11 98765 4321\n5511987654321\n");
    expect(a.rows[1].problem).toEqual({ reason: "duplicate", message: "Same number as line 2." });
    expect(a.valid).toBe(1);
  });

  it("uses the column the user chose, or says it does not exist", () => {
    expect(audience("name,mobile,other\nAna,5511987654321,14155550100", "other").rows[0].waId).toBe(
      "14155550100",
    );
    const parsed = parseCsv("name,mobile\nAna,5511987654321");
    if (!parsed.ok) throw new Error();
    expect(csvAudience(parsed.table, { phoneColumn: "tel" })).toEqual({
      ok: false,
      message: 'The file has no column named "tel".',
    });
  });

  it("renames repeated header names so every variable column is unambiguous", () => {
    expect(audience("phone,name,name\n5511987654321,a,b").variableColumns).toEqual(["name", "name_2"]);
  });

  it("a header and no rows is an error", () => {
    const parsed = parseCsv("phone,name\n");
    if (!parsed.ok) throw new Error();
    expect(csvAudience(parsed.table)).toEqual({ ok: false, message: "The file has a header but no rows." });
  });
});

describe("campaign variables", () => {
  const components = [
    { type: "HEADER", format: "TEXT", text: "Hi {{1}}" },
    { type: "BODY", text: "Hi {{1}}, your order {{2}} ships {{3}}." },
    { type: "BUTTONS", buttons: [{ type: "URL", text: "Track", url: "https://x.test/t/{{1}}" }] },
  ];
  const vars = templateVariables(components);
  const mapping: VariableMapping = {
    header: { "1": { source: "field", field: "profile_name", fallback: "there" } },
    body: {
      "1": { source: "field", field: "profile_name", fallback: "there" },
      "2": { source: "column", column: "order" },
      "3": { source: "text", value: "tomorrow" },
    },
    buttons: { "0": { source: "column", column: "order" } },
  };

  it("resolves each recipient's values into parameters the send service accepts", () => {
    const r = resolveParams(vars, mapping, {
      waId: "5511987654321",
      profileName: null,
      values: { order: "A17" },
    });
    expect(r).toEqual({
      ok: true,
      input: {
        params: { "1": "there", "2": "A17", "3": "tomorrow" },
        headerParams: { "1": "there" },
        buttonParams: { "0": "A17" },
      },
    });
    if (!r.ok) return;
    const built = buildTemplateSend({ name: "t", components }, r.input);
    expect(built.ok && built.rendered.body).toBe("Hi there, your order A17 ships tomorrow.");
  });

  it("a recipient with an empty value is not sendable, naming the variable", () => {
    const r = resolveParams(vars, mapping, {
      waId: "5511987654321",
      profileName: "Ana",
      values: { order: " " },
    });
    expect(r).toEqual({ ok: false, missing: ["body {{2}}", "button 1"] });
  });

  it("flattens line breaks Meta would refuse in a parameter", () => {
    const r = resolveParams(vars, mapping, { waId: "1", profileName: "Ana\nMaria", values: { order: "x" } });
    expect(r.ok && r.input.params).toMatchObject({ "1": "Ana Maria" });
  });

  it("problems: unmapped variables, columns without a CSV, unknown columns, blank texts", () => {
    expect(mappingProblems(vars, mapping, ["order"])).toEqual([]);
    expect(mappingProblems(vars, mapping, null)).toEqual([
      "body {{2}} comes from a CSV column, but the audience is not a CSV upload.",
      "the URL of button 1 comes from a CSV column, but the audience is not a CSV upload.",
    ]);
    expect(mappingProblems(vars, mapping, ["pedido"])[0]).toMatch(
      /column "order", which the file does not have/,
    );
    expect(
      mappingProblems(vars, { header: {}, body: { "3": { source: "text", value: " " } }, buttons: {} }, null),
    ).toEqual([
      "Choose a value for header {{1}}.",
      "Choose a value for body {{1}}.",
      "Choose a value for body {{2}}.",
      "Type a value for body {{3}}.",
      "Choose a value for the URL of button 1.",
    ]);
  });

  it("named variables resolve by name", () => {
    const named = templateVariables([{ type: "BODY", text: "Hi {{first_name}}, ticket {{ticket}}" }]);
    const r = resolveParams(
      named,
      {
        header: {},
        body: {
          first_name: { source: "field", field: "profile_name" },
          ticket: { source: "field", field: "wa_id" },
        },
        buttons: {},
      },
      { waId: "5511987654321", profileName: "Ana" },
    );
    expect(r).toEqual({ ok: true, input: { params: { first_name: "Ana", ticket: "5511987654321" } } });
  });

  it("the default mapping fills the first body variable with the contact's name", () => {
    expect(defaultMapping(vars).body).toEqual({
      "1": { source: "field", field: "profile_name", fallback: "there" },
    });
  });
});

describe("pacing", () => {
  it("earns tokens at the rate, holding at most one second's worth", () => {
    let p = newPacer(80, 0);
    p = refill(p, 250);
    expect(p.tokens).toBe(20);
    expect(budget(p, 0)).toBe(20);
    p = refill(spend(p, 20), 10_000);
    expect(p.tokens).toBe(80);
  });

  it("limits what waits for Meta's acceptance to two seconds of sends", () => {
    const p = refill(newPacer(10, 0), 1000);
    expect(budget(p, 0)).toBe(10);
    expect(budget(p, 15)).toBe(5);
    expect(budget(p, 25)).toBe(0);
  });

  it("halves the rate once a second while 130429s are waiting, then recovers by tenths", () => {
    let p = newPacer(80, 0);
    p = adjust(p, true, 500);
    expect(p.rate).toBe(80); // less than a second since the last change
    p = adjust(p, true, 1000);
    expect(p).toMatchObject({ rate: 40, tokens: 0 });
    for (let t = 2000; t <= 8000; t += 1000) p = adjust(p, true, t);
    expect(p.rate).toBe(MIN_RATE);
    p = adjust(p, false, 9000);
    expect(p.rate).toBe(MIN_RATE + 8);
    for (let t = 10_000; t <= 30_000; t += 1000) p = adjust(p, false, t);
    expect(p.rate).toBe(80);
  });
});

describe("schedule in the workspace timezone", () => {
  it("São Paulo wall time → UTC", () => {
    expect(zonedTimeToUtc("2026-03-02T09:00", "America/Sao_Paulo")).toEqual({
      ok: true,
      at: new Date("2026-03-02T12:00:00Z"),
    });
  });

  it("follows daylight saving time", () => {
    const winter = zonedTimeToUtc("2026-01-15 09:30", "Europe/Lisbon");
    const summer = zonedTimeToUtc("2026-07-15 09:30", "Europe/Lisbon");
    expect(winter.ok && winter.at.toISOString()).toBe("2026-01-15T09:30:00.000Z");
    expect(summer.ok && summer.at.toISOString()).toBe("2026-07-15T08:30:00.000Z");
    // 02:30 does not exist on 2026-03-08 in New York: it resolves after the jump.
    const gap = zonedTimeToUtc("2026-03-08T02:30", "America/New_York");
    expect(gap.ok && gap.at.toISOString()).toBe("2026-03-08T07:30:00.000Z");
    // 01:30 happens twice on 2026-11-01 in New York: the first one (still EDT).
    const twice = zonedTimeToUtc("2026-11-01T01:30", "America/New_York");
    expect(twice.ok && twice.at.toISOString()).toBe("2026-11-01T05:30:00.000Z");
  });

  it("round-trips through the input format", () => {
    const at = new Date("2026-07-15T08:30:00Z");
    expect(utcToZonedInput(at, "Europe/Lisbon")).toBe("2026-07-15T09:30");
  });

  it("refuses malformed times, impossible dates and unknown zones", () => {
    expect(zonedTimeToUtc("tomorrow", "UTC")).toMatchObject({ ok: false });
    expect(zonedTimeToUtc("2026-02-30T10:00", "UTC")).toEqual({
      ok: false,
      message: "That date does not exist.",
    });
    expect(zonedTimeToUtc("2026-02-03T10:00", "Mars/Olympus")).toEqual({
      ok: false,
      message: 'Unknown timezone "Mars/Olympus".',
    });
  });
});
