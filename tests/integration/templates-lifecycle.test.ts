/**
 * Template management against the real simulator: its webhooks go to a small
 * receiver that hands the raw bytes to the real handleWebhookPost, so statuses
 * arrive exactly as in production. Our own WABA and inbox (random ids): the
 * database is shared with other test files running in parallel.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, getSql } from "../../db/client";
import { auditLog, inboxes, templates, users } from "../../db/schema";
import type { Role } from "../../lib/domain";
import { resetEnvCache } from "../../lib/env";
import type { AppError } from "../../lib/errors";
import type { Actor } from "../../lib/services/access";
import {
  applyTemplateStatusUpdate,
  createTemplate,
  deleteTemplate,
  editTemplate,
  getTemplateForAdmin,
  listPickerTemplates,
  listTemplatesForAdmin,
  setTemplateVisibility,
  syncTemplates,
} from "../../lib/services/templates";
import { handleWebhookPost } from "../../lib/services/webhook-endpoint";
import { emptyDraft, type TemplateDraft } from "../../lib/templates/draft";
import { runTemplateSyncOnce, TEMPLATE_SYNC_LOCK_KEY } from "../../lib/workers/template-sync";
import { type RunningSimulator, startSimulator } from "../../simulator/app";

const APP_SECRET = "test-app-secret";
const digits = (n: number) =>
  Array.from(crypto.randomBytes(n), (b) => String(b % 10))
    .join("")
    .replace(/^0/, "1");
const uniq = () => crypto.randomBytes(4).toString("hex");

let sim: RunningSimulator;
let receiver: http.Server;
let wabaId: string;
let inboxId: string;
const actors = {} as Record<Role, Actor>;
/** Template status webhooks the simulator delivered, with our handler's answer. */
const templateWebhooks: Array<{ metaId: string; event: string; status: number }> = [];

async function simCall(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: "Bearer test-access-token", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function simTemplates(): Promise<Array<{ id: string; name: string; status: string }>> {
  const r = await simCall("GET", `/v21.0/${wabaId}/message_templates?limit=1000`);
  return r.json.data as Array<{ id: string; name: string; status: string }>;
}

async function row(id: string) {
  const [t] = await getDb().select().from(templates).where(eq(templates.id, id));
  return t;
}

/** Polls the template row until `check` holds (webhooks arrive asynchronously). */
async function waitForRow(id: string, check: (t: Awaited<ReturnType<typeof row>>) => boolean, ms = 8000) {
  const until = Date.now() + ms;
  for (;;) {
    const t = await row(id);
    if (check(t)) return t;
    if (Date.now() > until)
      throw new Error(`template ${id} never matched; last: ${t.status} ${t.rejectedReason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function auditActions(targetId: string): Promise<string[]> {
  const rows = await getDb()
    .select({ action: auditLog.action })
    .from(auditLog)
    .where(and(eq(auditLog.targetType, "template"), eq(auditLog.targetId, targetId)))
    .orderBy(auditLog.id);
  return rows.map((r) => r.action);
}

function twoVariableDraft(name: string): TemplateDraft {
  const d = emptyDraft("en_US");
  d.name = name;
  d.category = "UTILITY";
  d.body = { text: "Hello {{1}}, your order {{2}} has shipped.", examples: { "1": "Maria", "2": "#1042" } };
  d.footer = { text: "Thanks for shopping" };
  return d;
}

async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as AppError | null;
  expect(err, `expected AppError ${code}`).not.toBeNull();
  expect(err!.code).toBe(code);
  return err!;
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const sig = req.headers["x-hub-signature-256"];
      const raw = Buffer.concat(chunks);
      const r = await handleWebhookPost(raw, typeof sig === "string" ? sig : null);
      for (const e of JSON.parse(raw.toString()).entry ?? []) {
        for (const c of e.changes ?? []) {
          if (c.field === "message_template_status_update") {
            templateWebhooks.push({
              metaId: String(c.value.message_template_id),
              event: c.value.event,
              status: r.status,
            });
          }
        }
      }
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const port = (receiver.address() as AddressInfo).port;
  sim = await startSimulator({
    port: 0,
    webhookUrl: `http://127.0.0.1:${port}/api/webhooks/whatsapp`,
    appSecret: APP_SECRET,
    approvalDelayMs: 300,
    webhookRetryBaseMs: 100,
  });
  process.env.GRAPH_API_URL = `${sim.url}/v21.0`;
  resetEnvCache();

  const db = getDb();
  wabaId = digits(15);
  const [inbox] = await db
    .insert(inboxes)
    .values({
      name: `Templates ${wabaId}`,
      phoneNumberId: digits(15),
      wabaId,
      displayNumber: `1555${digits(7)}`,
      accessToken: "test-access-token",
    })
    .returning();
  inboxId = inbox.id;
  for (const role of ["admin", "supervisor", "agent"] as const) {
    const [u] = await db
      .insert(users)
      .values({ email: `${role}-${uniq()}@templates.test`, name: `T ${role}`, passwordHash: "x", role })
      .returning();
    actors[role] = { id: u.id, role };
  }
});

afterAll(async () => {
  await sim?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

describe("create → PENDING → APPROVED", () => {
  it("submits to Meta, stores PENDING, and the webhook approves it; agents then see it", async () => {
    const db = getDb();
    const name = `order_shipped_${uniq()}`;
    const created = await createTemplate(db, actors.admin, { wabaId, draft: twoVariableDraft(name) });
    expect(created).toMatchObject({ name, language: "en_US", category: "UTILITY", wabaId });
    expect(created.metaId).toMatch(/^\d+$/);
    expect((await simTemplates()).find((t) => t.name === name)?.id).toBe(created.metaId);
    // Stored as Meta answered the submission: PENDING.
    const [createdAudit] = await db
      .select({ data: auditLog.data })
      .from(auditLog)
      .where(and(eq(auditLog.targetId, created.id), eq(auditLog.action, "template.created")));
    expect(createdAudit.data).toMatchObject({ status: "PENDING", metaId: created.metaId, name });

    const approved = await waitForRow(created.id, (t) => t.status === "APPROVED");
    expect(approved.rejectedReason).toBeNull();
    // Meta's verdict came by the signed webhook, through the real handler.
    await expect
      .poll(() => templateWebhooks.find((w) => w.metaId === created.metaId && w.event === "APPROVED")?.status)
      .toBe(200);

    const picker = await listPickerTemplates(db, { inboxId, role: "agent" });
    const mine = picker.find((t) => t.id === created.id);
    expect(mine?.variables.body).toEqual(["1", "2"]);
    expect(mine?.preview.body).toBe("Hello Maria, your order #1042 has shipped.");
  });

  it("catches up with a review faster than our write (webhook before the row existed)", async () => {
    sim.state.config.approvalDelayMs = 0;
    try {
      const created = await createTemplate(getDb(), actors.admin, {
        wabaId,
        draft: twoVariableDraft(`instant_${uniq()}`),
      });
      expect(created.status).toBe("APPROVED");
      expect((await row(created.id)).status).toBe("APPROVED");
    } finally {
      sim.state.config.approvalDelayMs = 300;
    }
  });

  it("refuses an invalid draft with field messages, before anything reaches Meta", async () => {
    const name = `bad_${uniq()}`;
    const d = twoVariableDraft(name);
    d.body.examples = { "1": "Maria" };
    d.footer.text = "x".repeat(61);
    const err = await expectAppError(
      createTemplate(getDb(), actors.admin, { wabaId, draft: d }),
      "invalid_input",
    );
    expect(err.details?.fields).toEqual({
      "body.examples.2": "Give an example value for {{2}}: Meta reviews the template with it.",
      "footer.text": "The footer is 61 characters; the limit is 60.",
    });
    expect((await simTemplates()).some((t) => t.name === name)).toBe(false);
    expect(await getDb().select().from(templates).where(eq(templates.name, name))).toEqual([]);
  });

  it("shows Meta's duplicate-name refusal on the name field and stores nothing", async () => {
    const name = `dup_${uniq()}`;
    // Made in WhatsApp Manager, not here yet.
    await simCall("POST", "/_sim/templates", {
      waba_id: wabaId,
      name,
      language: "en_US",
      category: "UTILITY",
      components: [{ type: "BODY", text: "Hello there, friend." }],
    });
    const err = await expectAppError(
      createTemplate(getDb(), actors.admin, { wabaId, draft: twoVariableDraft(name) }),
      "conflict",
    );
    expect(err.details?.field).toBe("name");
    expect(err.message).toBe(
      `A template called "${name}" (en_US) already exists on this WhatsApp account. Choose another name.`,
    );
    expect(await getDb().select().from(templates).where(eq(templates.name, name))).toEqual([]);
  });
});

describe("rejected and paused", () => {
  it("stores Meta's rejection reason", async () => {
    const created = await createTemplate(getDb(), actors.admin, {
      wabaId,
      draft: twoVariableDraft(`please_reject_${uniq()}`),
    });
    const t = await waitForRow(created.id, (r) => r.status === "REJECTED");
    expect(t.rejectedReason).toBe("INVALID_FORMAT");
    const picker = await listPickerTemplates(getDb(), { inboxId, role: "admin" });
    expect(picker.some((p) => p.id === created.id)).toBe(false);
  });

  it("a template paused by Meta leaves the agents' picker at once", async () => {
    const db = getDb();
    const created = await createTemplate(db, actors.admin, {
      wabaId,
      draft: twoVariableDraft(`promo_${uniq()}`),
    });
    await waitForRow(created.id, (r) => r.status === "APPROVED");
    expect((await listPickerTemplates(db, { inboxId, role: "agent" })).some((p) => p.id === created.id)).toBe(
      true,
    );

    const r = await simCall("POST", `/_sim/templates/${created.metaId}/status`, { status: "PAUSED" });
    expect(r.status).toBe(200);
    const paused = await waitForRow(created.id, (t) => t.status === "PAUSED");
    expect(paused.rejectedReason).toContain("paused");
    expect((await listPickerTemplates(db, { inboxId, role: "agent" })).some((p) => p.id === created.id)).toBe(
      false,
    );
  });

  it("applyTemplateStatusUpdate updates the row and writes the audit log", async () => {
    const db = getDb();
    const created = await createTemplate(db, actors.admin, {
      wabaId,
      draft: twoVariableDraft(`audit_${uniq()}`),
    });
    const change = await db.transaction((tx) =>
      applyTemplateStatusUpdate(tx, {
        wabaId,
        metaId: created.metaId,
        name: created.name,
        language: "en-US",
        event: "DISABLED",
        reason: "NONE",
        otherInfo: { title: "DISABLED", description: "Disabled because of low quality." },
      }),
    );
    expect(change).toMatchObject({
      templateId: created.id,
      status: "DISABLED",
      reason: "Disabled because of low quality.",
    });
    expect((await row(created.id)).status).toBe("DISABLED");
    expect(await auditActions(created.id)).toEqual(["template.created", "template.status_changed"]);
    // The same event again changes nothing and logs nothing.
    expect(
      await applyTemplateStatusUpdate(db, {
        wabaId,
        metaId: created.metaId,
        name: created.name,
        language: "en_US",
        event: "DISABLED",
        otherInfo: { description: "Disabled because of low quality." },
      }),
    ).toBeNull();
  });
});

describe("visibility", () => {
  it("hidden templates disappear for agents only, and the toggle is audited", async () => {
    const db = getDb();
    const created = await createTemplate(db, actors.admin, {
      wabaId,
      draft: twoVariableDraft(`hide_${uniq()}`),
    });
    await waitForRow(created.id, (r) => r.status === "APPROVED");
    await setTemplateVisibility(db, actors.admin, created.id, false);
    expect((await listPickerTemplates(db, { inboxId, role: "agent" })).some((p) => p.id === created.id)).toBe(
      false,
    );
    expect(
      (await listPickerTemplates(db, { inboxId, role: "supervisor" })).some((p) => p.id === created.id),
    ).toBe(true);
    await setTemplateVisibility(db, actors.admin, created.id, true);
    expect((await listPickerTemplates(db, { inboxId, role: "agent" })).some((p) => p.id === created.id)).toBe(
      true,
    );
    expect(await auditActions(created.id)).toContain("template.hidden_from_agents");
    expect(await auditActions(created.id)).toContain("template.shown_to_agents");
  });
});

describe("sync", () => {
  it("imports templates Meta has, restores statuses, and removes ones Meta deleted", async () => {
    const db = getDb();
    const importedName = `from_manager_${uniq()}`;
    await simCall("POST", "/_sim/templates", {
      waba_id: wabaId,
      name: importedName,
      language: "pt_BR",
      category: "MARKETING",
      components: [
        { type: "BODY", text: "Olá {{1}}, temos novidades.", example: { body_text: [["Maria"]] } },
      ],
    });
    const created = await createTemplate(db, actors.admin, {
      wabaId,
      draft: twoVariableDraft(`drift_${uniq()}`),
    });
    await waitForRow(created.id, (r) => r.status === "APPROVED");
    // A webhook we missed: our row says PENDING while Meta says APPROVED.
    await db.update(templates).set({ status: "PENDING" }).where(eq(templates.id, created.id));
    const gone = await createTemplate(db, actors.admin, {
      wabaId,
      draft: twoVariableDraft(`gone_${uniq()}`),
    });
    await simCall("DELETE", `/v21.0/${wabaId}/message_templates?name=${gone.name}`);

    const report = await syncTemplates(db, actors.admin, { wabaId });
    expect(report.wabas).toHaveLength(1);
    expect(report.wabas[0]).toMatchObject({ wabaId, ok: true });
    expect(report.wabas[0].imported).toBeGreaterThanOrEqual(1);
    expect(report.wabas[0].removed).toBe(1);

    const [imported] = await db
      .select()
      .from(templates)
      .where(and(eq(templates.wabaId, wabaId), eq(templates.name, importedName)));
    expect(imported).toMatchObject({
      language: "pt_BR",
      category: "MARKETING",
      status: "APPROVED",
      visibleToAgents: true,
    });
    expect(imported.lastSyncedAt).not.toBeNull();
    expect(await auditActions(imported.id)).toEqual(["template.imported"]);
    expect((await row(created.id)).status).toBe("APPROVED");
    expect(await auditActions(created.id)).toContain("template.status_changed");
    expect((await row(gone.id)).deletedAt).not.toBeNull();

    // A second sync finds nothing to change.
    const again = await syncTemplates(db, null, { wabaId });
    expect(again.wabas[0]).toMatchObject({ imported: 0, updated: 0, removed: 0 });
  });

  it("runs in one instance at a time (advisory lock)", async () => {
    const conn = await getSql().reserve();
    try {
      await conn`select pg_advisory_lock(${TEMPLATE_SYNC_LOCK_KEY})`;
      expect(await runTemplateSyncOnce()).toBeNull();
    } finally {
      await conn`select pg_advisory_unlock(${TEMPLATE_SYNC_LOCK_KEY})`;
      conn.release();
    }
  });
});

describe("edit and delete", () => {
  it("edits within Meta's limits and sends it back to review", async () => {
    const db = getDb();
    const created = await createTemplate(db, actors.admin, {
      wabaId,
      draft: twoVariableDraft(`edit_${uniq()}`),
    });
    const pending = twoVariableDraft(created.name);
    pending.body.text = "Hi {{1}}, order {{2}} is on its way.";
    const notYet = await expectAppError(
      editTemplate(db, actors.admin, created.id, { draft: pending }),
      "conflict",
    );
    expect(notYet.message).toBe(
      "Only approved, rejected or paused templates can be edited; this one is PENDING.",
    );

    await waitForRow(created.id, (r) => r.status === "APPROVED");
    const recat = twoVariableDraft(created.name);
    recat.category = "MARKETING";
    const cat = await expectAppError(
      editTemplate(db, actors.admin, created.id, { draft: recat }),
      "invalid_input",
    );
    expect(cat.details?.fields).toEqual({ category: "An approved template's category cannot change." });

    const edited = await editTemplate(db, actors.admin, created.id, { draft: pending });
    // PENDING, unless Meta's re-approval already came back (read back after our write).
    expect(["PENDING", "APPROVED"]).toContain(edited.status);
    expect(await auditActions(created.id)).toContain("template.edited");
    const back = await waitForRow(created.id, (r) => r.status === "APPROVED");
    const { draft } = await getTemplateForAdmin(db, actors.supervisor, created.id);
    expect(draft.body.text).toBe("Hi {{1}}, order {{2}} is on its way.");
    expect(back.components).toEqual(edited.components);
    expect(await auditActions(created.id)).toContain("template.edited");
  });

  it("deletes on Meta and here; the name cannot be reused for 30 days", async () => {
    const db = getDb();
    const name = `bye_${uniq()}`;
    const created = await createTemplate(db, actors.admin, { wabaId, draft: twoVariableDraft(name) });
    await deleteTemplate(db, actors.admin, created.id);
    expect((await row(created.id)).deletedAt).not.toBeNull();
    expect((await simTemplates()).some((t) => t.name === name)).toBe(false);
    expect(await auditActions(created.id)).toContain("template.deleted");
    const admin = await listTemplatesForAdmin(db, actors.admin);
    expect(admin.find((w) => w.wabaId === wabaId)?.templates.some((t) => t.id === created.id)).toBe(false);

    const err = await expectAppError(
      createTemplate(db, actors.admin, { wabaId, draft: twoVariableDraft(name) }),
      "conflict",
    );
    expect(err.message).toContain("30 days");
    expect(err.details?.field).toBe("name");
  });
});

describe("roles", () => {
  it("agents cannot call the admin services; supervisors can only read", async () => {
    const db = getDb();
    const [any] = await db.select().from(templates).where(eq(templates.wabaId, wabaId)).limit(1);
    const draft = twoVariableDraft(`agent_${uniq()}`);
    await expectAppError(createTemplate(db, actors.agent, { wabaId, draft }), "forbidden");
    await expectAppError(editTemplate(db, actors.agent, any.id, { draft }), "forbidden");
    await expectAppError(deleteTemplate(db, actors.agent, any.id), "forbidden");
    await expectAppError(setTemplateVisibility(db, actors.agent, any.id, false), "forbidden");
    await expectAppError(syncTemplates(db, actors.agent), "forbidden");
    await expectAppError(listTemplatesForAdmin(db, actors.agent), "forbidden");
    await expectAppError(getTemplateForAdmin(db, actors.agent, any.id), "forbidden");

    await expectAppError(createTemplate(db, actors.supervisor, { wabaId, draft }), "forbidden");
    await expectAppError(setTemplateVisibility(db, actors.supervisor, any.id, false), "forbidden");
    const list = await listTemplatesForAdmin(db, actors.supervisor);
    expect(list.find((w) => w.wabaId === wabaId)?.inboxes.map((i) => i.id)).toEqual([inboxId]);
    expect((await simTemplates()).some((t) => t.name === draft.name)).toBe(false);
  });
});
