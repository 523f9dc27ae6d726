/**
 * Drives a running simulator from the terminal through its control API.
 *
 *   npx tsx simulator/cli.ts say --from 5511990000001 --name Ana "Hello" [--ad]
 *   npx tsx simulator/cli.ts help
 *
 * The simulator's address: --url, else SIMULATOR_URL, else http://127.0.0.1:4010.
 */
import { parseArgs } from "node:util";

const HELP = `Cloud API simulator CLI

  say TEXT            the customer writes   [--from N] [--name NAME] [--ad] [--business ID] [--ago 25h]
  photo               the customer sends a generated photo   [--from N] [--caption TEXT] [--ad]
  tap TITLE           the customer taps a quick-reply / reply button on the latest business message with it
  chat                print the conversation   [--from N] [--business ID]
  sent                messages the business sent   [--to N]
  read                the customer reads every delivered message   [--from N]
  outage MODE         500 | timeout | 429 | timeout_after_accept   [--for MS] [--count N]
  recover             end the outage
  template-status ID STATUS [--reason R]   APPROVED | REJECTED | PAUSED | DISABLED | PENDING
  undeliverable N     messages to N fail with 131026 (deliverable N undoes it)
  config              [--pricing cbp|pmp] [--auto-read true|false] [--status-delay MS] [--approval-delay MS]
  webhooks            the webhook delivery log   [--kind messages|statuses|message_template_status_update]
  replay SEQ          deliver webhook SEQ again, byte for byte (Meta's duplicates)
  state | reset | help

Options: --url URL (default $SIMULATOR_URL or http://127.0.0.1:4010)`;

type Opts = Record<string, string | boolean | undefined>;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    from: { type: "string", default: "5511990000001" },
    to: { type: "string" },
    name: { type: "string" },
    ad: { type: "boolean", default: false },
    business: { type: "string" },
    ago: { type: "string" },
    caption: { type: "string" },
    for: { type: "string" },
    count: { type: "string" },
    reason: { type: "string" },
    kind: { type: "string" },
    pricing: { type: "string" },
    "auto-read": { type: "string" },
    "status-delay": { type: "string" },
    "approval-delay": { type: "string" },
  },
});
const opts = values as Opts;
// A developer tool outside the app: its one setting is read here rather than through lib/env.
const base = String(opts.url ?? process.env.SIMULATOR_URL ?? "http://127.0.0.1:4010").replace(/\/+$/, "");

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error(`cannot reach the simulator at ${base} (is it running? npm run simulator, or npm start)`);
  }
  const data = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new Error(data.error?.message ?? `HTTP ${res.status}`);
  return data;
}

/** "25h", "90m", "30s", "2d" → seconds. */
function durationSeconds(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(s.trim());
  if (!m) throw new Error(`--ago takes a duration like 25h, 90m, 2d (got ${s})`);
  return Math.round(Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"]);
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new Error(`missing ${what}; see: npx tsx simulator/cli.ts help`);
  return v;
}

function print(v: unknown) {
  console.log(JSON.stringify(v, null, 2));
}

type Item = {
  wamid: string;
  direction: "in" | "out";
  at: number;
  type: string;
  text: string | null;
  status: string;
  buttons: Array<{ kind: string; id: string; title: string }>;
};

async function conversation(): Promise<Item[]> {
  const q = new URLSearchParams({ wa_id: String(opts.from) });
  if (opts.business) q.set("phone_number_id", String(opts.business));
  const data = (await call("GET", `/_sim/conversation?${q}`)) as { items: Item[] };
  return data.items;
}

async function main() {
  const [cmd = "help", ...args] = positionals;
  const who = {
    from: String(opts.from),
    ...(opts.name ? { name: String(opts.name) } : {}),
    ...(opts.business ? { phone_number_id: String(opts.business) } : {}),
    ...(opts.ad ? { referral: true } : {}),
    ...(opts.ago ? { timestamp: Math.floor(Date.now() / 1000) - durationSeconds(String(opts.ago)) } : {}),
  };
  switch (cmd) {
    case "say": {
      const out = (await call("POST", "/_sim/inbound", {
        ...who,
        type: "text",
        text: need(args.join(" "), "TEXT"),
      })) as {
        wamid: string;
        status: number;
      };
      console.log(`${out.wamid}  → app answered ${out.status || "nothing (unreachable)"}`);
      return;
    }
    case "photo": {
      const out = await call("POST", "/_sim/inbound", { ...who, type: "image", caption: opts.caption });
      print(out);
      return;
    }
    case "tap": {
      const title = need(args.join(" "), "TITLE");
      const items = await conversation();
      const msg = [...items]
        .reverse()
        .find((i) => i.direction === "out" && i.buttons.some((b) => b.title === title));
      if (!msg) throw new Error(`no business message to ${opts.from} has a button "${title}"`);
      const b = msg.buttons.find((x) => x.title === title)!;
      const body =
        b.kind === "quick_reply"
          ? { ...who, type: "button", button: { text: b.title, payload: b.id }, context_id: msg.wamid }
          : {
              ...who,
              type: "interactive",
              context_id: msg.wamid,
              interactive: {
                type: b.kind === "list_row" ? "list_reply" : "button_reply",
                id: b.id,
                title: b.title,
              },
            };
      print(await call("POST", "/_sim/inbound", body));
      return;
    }
    case "chat": {
      for (const i of await conversation()) {
        const who = i.direction === "in" ? "customer" : "business";
        const buttons = i.buttons.length ? `  [${i.buttons.map((b) => b.title).join("] [")}]` : "";
        console.log(
          `${new Date(i.at).toISOString()}  ${who.padEnd(8)}  ${i.status.padEnd(9)}  ${i.text ?? `[${i.type}]`}${buttons}`,
        );
      }
      return;
    }
    case "sent":
      print(await call("GET", `/_sim/sent${opts.to ? `?to=${encodeURIComponent(String(opts.to))}` : ""}`));
      return;
    case "read":
      print(await call("POST", "/_sim/read", { wa_id: opts.from, phone_number_id: opts.business }));
      return;
    case "outage":
      print(
        await call("POST", "/_sim/outage", {
          mode: need(args[0], "MODE"),
          ...(opts.for ? { forMs: Number(opts.for) } : {}),
          ...(opts.count ? { count: Number(opts.count) } : {}),
        }),
      );
      return;
    case "recover":
      print(await call("DELETE", "/_sim/outage"));
      return;
    case "template-status":
      print(
        await call("POST", `/_sim/templates/${encodeURIComponent(need(args[0], "ID"))}/status`, {
          status: need(args[1], "STATUS").toUpperCase(),
          ...(opts.reason ? { reason: opts.reason } : {}),
        }),
      );
      return;
    case "undeliverable":
      print(await call("POST", "/_sim/undeliverable", { wa_id: need(args[0], "N") }));
      return;
    case "deliverable":
      print(await call("DELETE", "/_sim/undeliverable", { wa_id: need(args[0], "N") }));
      return;
    case "config": {
      const body: Record<string, unknown> = {};
      if (opts.pricing) body.pricingModel = opts.pricing;
      if (opts["auto-read"]) body.autoRead = opts["auto-read"] === "true";
      if (opts["status-delay"]) body.statusDelayMs = Number(opts["status-delay"]);
      if (opts["approval-delay"]) body.approvalDelayMs = Number(opts["approval-delay"]);
      print(await call("POST", "/_sim/config", body));
      return;
    }
    case "webhooks":
      print(
        await call(
          "GET",
          `/_sim/webhooks${opts.kind ? `?kind=${encodeURIComponent(String(opts.kind))}` : ""}`,
        ),
      );
      return;
    case "replay":
      print(await call("POST", `/_sim/webhooks/${encodeURIComponent(need(args[0], "SEQ"))}/replay`));
      return;
    case "state":
      print(await call("GET", "/_sim/state"));
      return;
    case "reset":
      print(await call("POST", "/_sim/reset"));
      return;
    case "help":
    case "--help":
      console.log(HELP);
      return;
    default:
      throw new Error(`unknown command ${cmd}\n\n${HELP}`);
  }
}

main().catch((err) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
