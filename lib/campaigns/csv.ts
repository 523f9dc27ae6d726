/**
 * Campaign audiences from a CSV upload: one phone number per row plus any per-row variables
 * (first name, order number, …). Spreadsheets export with commas or semicolons (Excel in
 * pt-BR / most of Europe), quotes, CRLF and a BOM, with or without a header row; all are read.
 * Every row that is not a usable number comes back with its line number and the reason, so the
 * preview can list it as excluded. Pure: text in, values out.
 */
import { normalizePhone, type PhoneProblem } from "../phone";

/** Uploads are parsed in the browser and again on the server; beyond this a campaign is not a CSV job. */
export const CSV_MAX_BYTES = 5 * 1024 * 1024;
export const CSV_MAX_ROWS = 50_000;

export type CsvTable = { delimiter: string; rows: string[][] };

export type CsvParseResult = { ok: true; table: CsvTable } | { ok: false; message: string };

/** Picks the delimiter that splits the first line into the most fields (comma, semicolon, tab). */
function detectDelimiter(text: string): string {
  const end = text.search(/\r?\n/);
  const first = end < 0 ? text : text.slice(0, end);
  let best = ",";
  let bestCount = 0;
  for (const d of [",", ";", "\t"]) {
    let n = 0;
    let quoted = false;
    for (const ch of first) {
      if (ch === '"') quoted = !quoted;
      else if (ch === d && !quoted) n++;
    }
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** RFC 4180 parsing (quoted fields, "" escapes, newlines inside quotes) with a detected delimiter. */
export function parseCsv(input: string): CsvParseResult {
  const text = input.replace(/^\uFEFF/, "");
  if (text.trim() === "") return { ok: false, message: "The file is empty." };
  const delimiter = detectDelimiter(text);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    field = "";
    // Blank lines (often the last one) are not rows.
    if (!(row.length === 1 && row[0].trim() === "")) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.trim() === "") {
      quoted = true;
      field = "";
    } else if (ch === delimiter) {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      endRow();
      if (ch === "\r" && text[i + 1] === "\n") i++;
    } else field += ch;
    i++;
    if (rows.length > CSV_MAX_ROWS + 1) {
      return { ok: false, message: `The file has more than ${CSV_MAX_ROWS.toLocaleString("en")} rows.` };
    }
  }
  if (quoted) return { ok: false, message: "The file ends inside a quoted field (a missing closing quote)." };
  if (field !== "" || row.length > 0) endRow();
  if (rows.length === 0) return { ok: false, message: "The file is empty." };
  return { ok: true, table: { delimiter, rows: rows.map((r) => r.map((c) => c.trim())) } };
}

/** Header names that mean "the phone number" (compared lowercased, without spaces, dashes, underscores). */
const PHONE_HEADERS = new Set([
  "phone",
  "phonenumber",
  "number",
  "mobile",
  "mobilenumber",
  "cell",
  "cellphone",
  "waid",
  "whatsapp",
  "whatsappnumber",
  "msisdn",
  "telefone",
  "celular",
  "numero",
  "número",
  "telefono",
  "teléfono",
]);
const headerKey = (h: string) => h.toLowerCase().replace(/[\s_\-.]/g, "");

export type CsvRecipientRow = {
  /** 1-based line number in the file, as a spreadsheet shows it. */
  line: number;
  /** The number as written in the file. */
  raw: string;
  /** Set when the number is valid. */
  waId: string | null;
  problem: { reason: PhoneProblem | "duplicate"; message: string } | null;
  /** Every other column of the row, by column name. */
  values: Record<string, string>;
};

export type CsvAudience = {
  /** Column names: the file's header, or column_1, column_2, … when it has none. */
  columns: string[];
  phoneColumn: string;
  /** Columns other than the phone: what per-row variables can be mapped from. */
  variableColumns: string[];
  hasHeader: boolean;
  rows: CsvRecipientRow[];
  valid: number;
  invalid: number;
};

export type CsvAudienceResult = { ok: true; audience: CsvAudience } | { ok: false; message: string };

/**
 * Reads recipients from a parsed CSV. The phone column is `phoneColumn` if given, else the first
 * header that names a phone ("phone", "number", "wa_id", "telefone", …), else the first column.
 * A file whose first row already holds a valid number has no header. A number repeated in the
 * file is kept once (the first row) and the later rows are reported as duplicates.
 */
export function csvAudience(table: CsvTable, opts: { phoneColumn?: string } = {}): CsvAudienceResult {
  const width = Math.max(...table.rows.map((r) => r.length));
  const first = table.rows[0] ?? [];
  // A header row holds names, not numbers: a valid number in the first row means there is none.
  const hasHeader = !first.some((c) => normalizePhone(c).ok);
  const columns = Array.from({ length: width }, (_, i) => {
    const h = hasHeader ? (first[i] ?? "").trim() : "";
    return h || `column_${i + 1}`;
  });
  const seenNames = new Set<string>();
  for (let i = 0; i < columns.length; i++) {
    // Two columns with one name would make per-row variables ambiguous: suffix the later one.
    let name = columns[i];
    for (let k = 2; seenNames.has(name); k++) name = `${columns[i]}_${k}`;
    columns[i] = name;
    seenNames.add(name);
  }

  let phoneIndex: number;
  if (opts.phoneColumn !== undefined) {
    phoneIndex = columns.indexOf(opts.phoneColumn);
    if (phoneIndex < 0) {
      return { ok: false, message: `The file has no column named "${opts.phoneColumn}".` };
    }
  } else {
    phoneIndex = hasHeader ? columns.findIndex((c) => PHONE_HEADERS.has(headerKey(c))) : -1;
    if (phoneIndex < 0) phoneIndex = 0;
  }

  const body = hasHeader ? table.rows.slice(1) : table.rows;
  if (body.length === 0) return { ok: false, message: "The file has a header but no rows." };
  const seen = new Map<string, number>();
  const rows: CsvRecipientRow[] = body.map((cells, k) => {
    const line = k + (hasHeader ? 2 : 1);
    const raw = cells[phoneIndex] ?? "";
    const values: Record<string, string> = {};
    columns.forEach((c, i) => {
      if (i !== phoneIndex) values[c] = cells[i] ?? "";
    });
    const phone = normalizePhone(raw);
    if (!phone.ok) {
      return { line, raw, waId: null, problem: { reason: phone.reason, message: phone.message }, values };
    }
    const firstLine = seen.get(phone.waId);
    if (firstLine !== undefined) {
      return {
        line,
        raw,
        waId: phone.waId,
        problem: { reason: "duplicate", message: `Same number as line ${firstLine}.` },
        values,
      };
    }
    seen.set(phone.waId, line);
    return { line, raw, waId: phone.waId, problem: null, values };
  });
  const valid = rows.filter((r) => r.problem === null).length;
  return {
    ok: true,
    audience: {
      columns,
      phoneColumn: columns[phoneIndex],
      variableColumns: columns.filter((_, i) => i !== phoneIndex),
      hasHeader,
      rows,
      valid,
      invalid: rows.length - valid,
    },
  };
}
