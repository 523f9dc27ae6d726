import { describe, expect, it } from "vitest";
import { csvLine } from "../../lib/services/costs-export";

describe("CSV lines", () => {
  it("quotes what needs quoting and ends lines with CRLF", () => {
    expect(csvLine(["a", 1, null, true, undefined])).toBe("a,1,,true,\r\n");
    expect(csvLine(['say "hi"', "a,b", "two\nlines"])).toBe('"say ""hi""","a,b","two\nlines"\r\n');
  });

  it("defuses text a spreadsheet would run as a formula, not numbers", () => {
    expect(csvLine(['=HYPERLINK("x")', "+55 11", "-1", "@sum", -5])).toBe(
      `"'=HYPERLINK(""x"")",'+55 11,'-1,'@sum,-5\r\n`,
    );
  });
});
