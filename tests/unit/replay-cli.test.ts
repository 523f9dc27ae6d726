/**
 * The real replay CLI (scripts/windows.ts) on the worked-example fixtures: stdout JSON and exit
 * codes. The processes run concurrently in beforeAll to keep the suite fast.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, USAGE } from "../../scripts/windows";

const ROOT = join(__dirname, "../..");
const FIXTURES = join(ROOT, "tests/fixtures/replay");
const EXAMPLES = [
  "ex1-service-reply",
  "ex2-csw-restart",
  "ex3-templates-no-window",
  "ex4-service-and-utility",
  "ex5-free-entry-point",
  "ex6-marketing-then-service",
];

type Run = { code: number | null; stdout: string; stderr: string };

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `windows replay …` through node + the tsx loader (what `npm run windows` runs, minus npm). */
const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "scripts/windows.ts", ...args]);

const tmp = mkdtempSync(join(tmpdir(), "windows-cli-"));
const ratesFile = join(tmp, "rates.json");
writeFileSync(
  ratesFile,
  JSON.stringify({
    currency: "USD",
    micros: { marketing: 100, utility: 20, authentication: 30, service: 7 },
    freeServicePerMonth: 0,
  }),
);
const badRatesFile = join(tmp, "bad-rates.json");
writeFileSync(
  badRatesFile,
  JSON.stringify({ currency: "USD", micros: { marketing: -1 }, freeServicePerMonth: 0 }),
);

const results = new Map<string, Run>();
// Each process costs ~1 s of CPU (tsx + zod start-up), so only these go through a real process;
// flag handling is covered in-process through runCli below.
const cases: Record<string, () => Promise<Run>> = {
  ...Object.fromEntries(EXAMPLES.map((ex) => [ex, () => cli("replay", join(FIXTURES, `${ex}.jsonl`))])),
  badLine: () => cli("replay", join(FIXTURES, "bad-line.jsonl")),
};

beforeAll(async () => {
  const names = Object.keys(cases);
  const runs = await Promise.all(names.map((n) => cases[n]()));
  names.forEach((n, i) => {
    results.set(n, runs[i]);
  });
}, 60_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const ok = (name: string) => {
  const r = results.get(name)!;
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe("windows replay CLI", () => {
  it.each(EXAMPLES)("%s prints its expected JSON and exits 0", (ex) => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, `${ex}.expected.json`), "utf8"));
    expect(ok(ex)).toEqual(expected);
  });

  it("a bad line exits 2 naming the line", () => {
    const r = results.get("badLine")!;
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/bad-line\.jsonl: line 3: "at" must be an ISO-8601 date-time/);
  });
});

describe("runCli (in-process)", () => {
  const call = (...argv: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = runCli(argv, {
      readFile: (path) => readFileSync(path, "utf8"),
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
    });
    return { code, stdout, stderr };
  };
  const ex = (name: string) => join(FIXTURES, `${name}.jsonl`);

  it("prints the same document as the process does", () => {
    const r = call("replay", ex("ex5-free-entry-point"));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(readFileSync(join(FIXTURES, "ex5-free-entry-point.expected.json"), "utf8")),
    );
  });

  it("--model pmp, --rates and --at together: per-message output priced by the file at that instant", () => {
    const r = call(
      "replay",
      ex("ex4-service-and-utility"),
      "--model=pmp",
      "--rates",
      ratesFile,
      "--at",
      "2026-03-03T10:00:00Z",
    );
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const out = JSON.parse(r.stdout);
    expect(out.at).toBe("2026-03-03T10:00:00.000Z");
    expect(out.model).toBe("pmp");
    expect(out.contacts["5511990000001"]).toEqual({
      csw: { open: false, expiresAt: "2026-03-03T10:00:00.000Z" },
      fep: { open: false, expiresAt: null },
      freeText: false,
      messages: [
        { id: "out1", category: "service", type: "free_customer_service", costMicros: 0 },
        { id: "util1", category: "utility", type: "free_customer_service", costMicros: 0 },
      ],
      rejected: [],
    });
    expect(out.totals).toEqual({
      costMicros: 0,
      byCategory: { utility: { messages: 1, costMicros: 0 }, service: { messages: 1, costMicros: 0 } },
    });
  });

  it("--rates with no free tier bills the service conversation", () => {
    const r = call("replay", ex("ex4-service-and-utility"), "--rates", ratesFile);
    expect(JSON.parse(r.stdout).totals).toEqual({
      costMicros: 27,
      byCategory: {
        utility: { conversations: 1, costMicros: 20 },
        service: { conversations: 1, costMicros: 7 },
      },
    });
  });

  it("--help prints usage and exits 0", () => {
    expect(call("--help")).toEqual({ code: 0, stdout: `${USAGE}\n`, stderr: "" });
  });

  it.each([
    [["replay", ex("unknown-status")], /line 2: status for unknown message id "nope"/],
    [["replay", ex("ex1-service-reply"), "--mode", "pmp"], /unknown option --mode/],
    [["replay", ex("ex1-service-reply"), "--model", "ppm"], /--model must be cbp or pmp \(got "ppm"\)/],
    [["replay", ex("ex1-service-reply"), "--model"], /--model needs a value/],
    [["replay", ex("ex1-service-reply"), "--at", "--model", "cbp"], /--at needs a value/],
    [["replay", ex("ex1-service-reply"), "--at", "soon"], /--at must be an ISO-8601/],
    [["replay", ex("does-not-exist")], /cannot read event log .*does-not-exist\.jsonl \(ENOENT\)/],
    [["replay"], /missing FILE/],
    [[], /missing command/],
    [["play", "x"], /unknown command "play"/],
    [["replay", "a", "b"], /unexpected argument "b"/],
    [
      ["replay", ex("ex1-service-reply"), "--rates", badRatesFile],
      /rates file .*"micros\.marketing" must not be negative/,
    ],
    [["replay", ex("ex1-service-reply"), "--rates", ex("bad-line")], /rates file .* is not valid JSON/],
  ])("%j → exit 2 with a clear message", (argv, message) => {
    const r = call(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });
});
