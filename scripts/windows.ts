/**
 * Replay CLI for the window & pricing engine:
 *
 *   npm run --silent windows -- replay FILE [--at ISO] [--model cbp|pmp] [--rates RATES.json]
 *
 * Prints one JSON document to stdout (exit 0). A bad line, flag or file prints a message to
 * stderr and exits 2. The rules live in lib/windows and lib/pricing; this file only does I/O.
 * `runCli` takes its I/O as a parameter so tests can drive it in-process.
 */
import { readFileSync } from "node:fs";
import type { PricingModel } from "../lib/domain";
import { DEFAULT_RATES, isPricingModel, type Rates, ratesSchema } from "../lib/pricing/rates";
import { parseEventLines, ReplayInputError, replay } from "../lib/pricing/replay";

export const USAGE = `usage: windows replay FILE [--at ISO] [--model cbp|pmp] [--rates RATES.json]

  FILE     JSON-lines event log (inbound / outbound / status lines)
  --at     evaluate at this instant (ISO-8601, e.g. 2026-03-02T10:00:00Z); default: the latest event
  --model  cbp (conversation-based, default) or pmp (per message)
  --rates  JSON rate card {"currency","micros":{marketing,utility,authentication,service},"freeServicePerMonth"}`;

export type CliIo = {
  /** Reads a UTF-8 file; throws (with an errno `code`) when it cannot. */
  readFile: (path: string) => string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
};

/** A problem with the invocation; `usage` adds the usage text to the message. */
class CliError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

type Args = { file: string; at?: string; model: PricingModel; ratesPath?: string };

const OPTIONS = ["--at", "--model", "--rates"];

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command === undefined) throw new CliError("missing command", true);
  if (command !== "replay") throw new CliError(`unknown command ${JSON.stringify(command)}`, true);
  let file: string | undefined;
  let at: string | undefined;
  let model: PricingModel = "cbp";
  let ratesPath: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith("--")) {
      if (file !== undefined) throw new CliError(`unexpected argument ${JSON.stringify(arg)}`, true);
      file = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!OPTIONS.includes(name)) throw new CliError(`unknown option ${name}`, true);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = rest[i + 1];
      i++;
      if (value?.startsWith("--")) value = undefined;
    }
    if (value === undefined || value === "") throw new CliError(`${name} needs a value`, true);
    if (name === "--at") at = value;
    else if (name === "--rates") ratesPath = value;
    else if (isPricingModel(value)) model = value;
    else throw new CliError(`--model must be cbp or pmp (got ${JSON.stringify(value)})`, true);
  }
  if (file === undefined) throw new CliError("missing FILE", true);
  return { file, at, model, ratesPath };
}

function read(io: CliIo, path: string, what: string): string {
  try {
    return io.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${what} ${path}${code ? ` (${code})` : ""}`);
  }
}

function loadRates(io: CliIo, path: string | undefined): Rates {
  if (path === undefined) return DEFAULT_RATES;
  const text = read(io, path, "rates file");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`rates file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = ratesSchema.safeParse(json);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    throw new CliError(`rates file ${path}: "${iss.path.join(".")}" ${iss.message}`);
  }
  return parsed.data;
}

/** Run the CLI with `argv` (without node and script); returns the exit code (0 ok, 2 bad input). */
export function runCli(argv: string[], io: CliIo): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  try {
    const args = parseArgs(argv);
    const rates = loadRates(io, args.ratesPath);
    const parsed = parseEventLines(read(io, args.file, "event log"));
    if ("error" in parsed) throw new CliError(`${args.file}: line ${parsed.line}: ${parsed.error}`);
    let out: ReturnType<typeof replay>;
    try {
      out = replay(parsed.events, { at: args.at, model: args.model, rates });
    } catch (e) {
      if (!(e instanceof ReplayInputError)) throw e;
      throw new CliError(
        e.line > 0 ? `${args.file}: line ${e.line}: ${e.reason}` : `--at ${e.reason.replace(/^"at" /, "")}`,
      );
    }
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.stderr(`windows: ${e.message}\n${e.usage ? `\n${USAGE}\n` : ""}`);
    return 2;
  }
}

// Run only as the entry point (`tsx scripts/windows.ts …`), not when imported by tests.
if (/[\\/]windows\.[cm]?[jt]s$/.test(process.argv[1] ?? "")) {
  process.exitCode = runCli(process.argv.slice(2), {
    readFile: (path) => readFileSync(path, "utf8"),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
