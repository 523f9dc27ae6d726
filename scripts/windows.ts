/**
 * Replay CLI for the window & pricing engine:
 *
 *   npm run --silent windows -- replay FILE [--at ISO] [--model cbp|pmp] [--rates RATES.json]
 *
 * Prints one JSON document to stdout (exit 0). A bad line, flag or file prints a message to
 * stderr and exits 2. The rules live in lib/windows and lib/pricing; this file only does I/O.
 */
import { readFileSync } from "node:fs";
import { isPricingModel, DEFAULT_RATES, type Rates, ratesSchema } from "../lib/pricing/rates";
import { parseEventLines, ReplayInputError, replay } from "../lib/pricing/replay";
import type { PricingModel } from "../lib/domain";

const USAGE = `usage: windows replay FILE [--at ISO] [--model cbp|pmp] [--rates RATES.json]

  FILE     JSON-lines event log (inbound / outbound / status lines)
  --at     evaluate at this instant (ISO-8601, e.g. 2026-03-02T10:00:00Z); default: the latest event
  --model  cbp (conversation-based, default) or pmp (per message)
  --rates  JSON rate card {"currency","micros":{marketing,utility,authentication,service},"freeServicePerMonth"}`;

class UsageError extends Error {}

function fail(message: string, withUsage = false): never {
  process.stderr.write(`windows: ${message}\n${withUsage ? `\n${USAGE}\n` : ""}`);
  process.exit(2);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${path}${code ? ` (${code})` : ""}`);
  }
}

type Args = { file: string; at?: string; model: PricingModel; ratesPath?: string };

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("missing command");
  if (command !== "replay") throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  let file: string | undefined;
  let at: string | undefined;
  let model: PricingModel = "cbp";
  let ratesPath: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(0, eq) : arg;
      if (!["--at", "--model", "--rates"].includes(name)) throw new UsageError(`unknown option ${name}`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = rest[i + 1];
        i++;
        if (value?.startsWith("--")) value = undefined;
      }
      if (value === undefined || value === "") throw new UsageError(`${name} needs a value`);
      if (name === "--at") at = value;
      else if (name === "--rates") ratesPath = value;
      else if (isPricingModel(value)) model = value;
      else throw new UsageError(`--model must be cbp or pmp (got ${JSON.stringify(value)})`);
    } else if (file === undefined) file = arg;
    else throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
  }
  if (file === undefined) throw new UsageError("missing FILE");
  return { file, at, model, ratesPath };
}

function loadRates(path: string | undefined): Rates {
  if (path === undefined) return DEFAULT_RATES;
  let json: unknown;
  try {
    json = JSON.parse(readText(path, "rates file"));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`rates file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = ratesSchema.safeParse(json);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    throw new UsageError(`rates file ${path}: "${iss.path.join(".")}" ${iss.message}`);
  }
  return parsed.data;
}

function main(argv: string[]): void {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let args: Args;
  let rates: Rates;
  let text: string;
  try {
    args = parseArgs(argv);
    rates = loadRates(args.ratesPath);
    text = readText(args.file, "event log");
  } catch (e) {
    if (e instanceof UsageError) fail(e.message, !e.message.startsWith("cannot read") && !e.message.startsWith("rates"));
    throw e;
  }
  const parsed = parseEventLines(text);
  if ("error" in parsed) fail(`${args.file}: line ${parsed.line}: ${parsed.error}`);
  try {
    const out = replay(parsed.events, { at: args.at, model: args.model, rates });
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } catch (e) {
    if (e instanceof ReplayInputError) {
      fail(e.line > 0 ? `${args.file}: line ${e.line}: ${e.reason}` : `--at: ${e.reason.replace(/^"at" /, "")}`);
    }
    throw e;
  }
}

main(process.argv.slice(2));
