/**
 * The simulated Meta: Cloud API sends (with the customer-service-window gate), the status
 * lifecycle of every accepted message, customers writing in, template review, and media.
 * Owns the timers and the webhook sender; SimulatorState holds the data.
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { log } from "../lib/logger";
import { previewOutbound } from "../lib/windows/engine";
import { type PricingModelName, statusBilling } from "./billing";
import { ERR, invalidParameter, newWamid, unknownObject } from "./meta-wire";
import { makePng } from "./png";
import {
  type ContactRecord,
  type DeliveryStatusName,
  type InboundMessage,
  type Outage,
  type OutageMode,
  type SentMessage,
  type SimMedia,
  type SimNumber,
  type SimNumberInput,
  type SimTemplate,
  type SimulatorBootstrap,
  type SimulatorConfig,
  SimulatorState,
  type WebhookDelivery,
} from "./state";
import {
  checkTemplateSend,
  languageLabel,
  type MetaTemplateStatus,
  type RenderedTemplate,
  TEMPLATE_STATUSES_META,
  type TemplateSend,
  validateTemplateComponents,
  validateTemplateHeader,
} from "./template-rules";
import { WebhookSender } from "./webhook-sender";

export type SimulatorOptions = {
  webhookUrl: string;
  appSecret: string;
  pricingModel?: PricingModelName;
  /** PENDING → APPROVED/REJECTED after this long (default 3000 ms). */
  approvalDelayMs?: number;
  /** Gap between sent → delivered → read (default 300 ms). */
  statusDelayMs?: number;
  /** The customer reads every delivered message (default true). */
  autoRead?: boolean;
  /** Webhook retries after the first attempt (default 5). */
  webhookRetries?: number;
  /** First retry delay, doubling (default 1000 ms). */
  webhookRetryBaseMs?: number;
  /** Per-attempt webhook timeout (default 10000 ms). */
  webhookTimeoutMs?: number;
  /** Business numbers to know besides the demo ones. */
  numbers?: SimNumberInput[];
  /** Where to learn what Meta already knew (the app's database, for the demo). */
  bootstrap?: SimulatorBootstrap;
};

/** An invalid call of the simulator's own control API (not a Graph error). */
export class SimInputError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "SimInputError";
  }
}

export type InboundInput = {
  from: string;
  name?: string;
  type?: string;
  text?: string;
  caption?: string;
  referral?: boolean | Record<string, unknown>;
  phone_number_id?: string;
  timestamp?: number | string;
  /** wamid of the business message this answers (quick-reply and interactive replies need it). */
  context_id?: string;
  button?: { text?: string; payload?: string };
  interactive?: { type?: string; id?: string; title?: string; description?: string };
  reaction?: { message_id?: string; emoji?: string };
  location?: { latitude?: number; longitude?: number; name?: string; address?: string };
  media_id?: string;
};

export type ConversationItem = {
  wamid: string;
  direction: "in" | "out";
  at: number;
  type: string;
  text: string | null;
  status: string;
  template: (RenderedTemplate & { name: string }) | null;
  /** Buttons the customer can tap: template quick replies or interactive reply buttons/rows. */
  buttons: Array<{
    kind: "quick_reply" | "reply" | "list_row" | "url";
    id: string;
    title: string;
    url?: string;
  }>;
  media: { url: string; mimeType: string | null; caption: string | null; filename: string | null } | null;
  contextId: string | null;
  referral: boolean;
  readByBusiness: boolean;
};

const PHONE_RE = /^\+?[0-9][0-9 ()-]{5,20}$/;
const MEDIA_TYPES = ["image", "audio", "video", "document", "sticker"] as const;
const SEND_TYPES = [
  "text",
  "template",
  "image",
  "audio",
  "video",
  "document",
  "sticker",
  "interactive",
  "reaction",
  "location",
  "contacts",
] as const;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function defaultReferral(): Record<string, unknown> {
  return {
    source_url: "https://fb.me/sim-ctwa-ad",
    source_id: "120226305854810726",
    source_type: "ad",
    body: "Summer Succulents are here!",
    headline: "Chat with us",
    media_type: "image",
    image_url: "https://scontent.xx.fbcdn.net/v/t45.1600-4/sim-ad.png",
    ctwa_clid: randomBytes(48).toString("base64url"),
    welcome_message: { text: "Hi there! Let us know how we can help!" },
  };
}

export class Simulator {
  readonly state: SimulatorState;
  readonly sender: WebhookSender;
  /** Set once the server listens; media URLs point back here. */
  baseUrl = "http://127.0.0.1";
  private timers = new Set<NodeJS.Timeout>();
  /** Bumped by reset/close so status chains started earlier stop. */
  private generation = 0;

  constructor(private readonly opts: SimulatorOptions) {
    this.state = new SimulatorState(this.initialConfig());
    this.sender = new WebhookSender(this.state, {
      url: opts.webhookUrl,
      appSecret: opts.appSecret,
      retries: opts.webhookRetries ?? 5,
      retryBaseMs: opts.webhookRetryBaseMs ?? 1000,
      timeoutMs: opts.webhookTimeoutMs ?? 10_000,
    });
    for (const n of opts.numbers ?? []) this.state.registerNumber(n);
  }

  /** Loads numbers, templates and the pricing model from the bootstrap (if any). */
  async init() {
    const b = this.opts.bootstrap;
    if (!b) return;
    try {
      for (const n of (await b.numbers?.()) ?? []) this.state.registerNumber(n);
      const templates = await b.templates?.();
      if (templates && templates.length > 0) {
        // The app's records are what Meta had: they replace the built-in demo set.
        this.state.templates.clear();
        for (const t of templates) this.state.addTemplate(t);
      }
      const model = await b.pricingModel?.();
      if (model) this.state.config.pricingModel = model;
    } catch (err) {
      log.warn("simulator.bootstrap_failed", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  // ---------------------------------------------------------------- timers

  private sleep(ms: number): Promise<boolean> {
    const gen = this.generation;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve(gen === this.generation);
      }, ms);
      this.timers.add(t);
    });
  }

  private clearTimers() {
    this.generation += 1;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Back to how it started: start-up config, built-in + configured numbers, bootstrap reloaded. */
  async reset() {
    this.clearTimers();
    this.sender.cancelRetries();
    this.releaseHeld();
    this.state.reset();
    this.state.config = this.initialConfig();
    for (const n of this.opts.numbers ?? []) this.state.registerNumber(n);
    await this.init();
  }

  private initialConfig(): SimulatorConfig {
    return {
      pricingModel: this.opts.pricingModel ?? "cbp",
      autoRead: this.opts.autoRead ?? true,
      statusDelayMs: this.opts.statusDelayMs ?? 300,
      approvalDelayMs: this.opts.approvalDelayMs ?? 3000,
    };
  }

  close() {
    this.clearTimers();
    this.sender.close();
    this.releaseHeld();
  }

  // ---------------------------------------------------------------- fault injection

  private held = new Map<Socket, NodeJS.Timeout>();

  /** Starts an outage of the Graph API: every call fails (or hangs) until `forMs` passes or `count` calls. */
  setOutage(mode: OutageMode, forMs: number, count: number | null) {
    this.state.outage = { mode, until: Date.now() + forMs, remaining: count };
    log.info("simulator.outage_started", { mode, forMs, count });
  }

  clearOutage() {
    this.state.outage = null;
    this.releaseHeld();
  }

  /** The outage that applies to this Graph call (consuming one of its `count`), or null. */
  takeOutage(): Outage | null {
    const o = this.state.outage;
    if (!o) return null;
    if (Date.now() >= o.until || o.remaining === 0) {
      this.state.outage = null;
      return null;
    }
    if (o.remaining !== null) o.remaining -= 1;
    return o;
  }

  /** Never answers: the connection is dropped when the outage ends, like a request that timed out at Meta. */
  hold(socket: Socket, until: number) {
    const t = setTimeout(
      () => {
        this.held.delete(socket);
        socket.destroy();
      },
      Math.max(0, until - Date.now()),
    );
    this.held.set(socket, t);
    socket.once("close", () => {
      clearTimeout(t);
      this.held.delete(socket);
    });
  }

  /** Graph requests currently held open by a timeout outage. */
  get heldCount(): number {
    return this.held.size;
  }

  releaseHeld() {
    for (const [socket, t] of this.held) {
      clearTimeout(t);
      socket.destroy();
    }
    this.held.clear();
  }

  // ---------------------------------------------------------------- contacts

  /** The pair's record, with what Meta knew before this process started loaded once. */
  async loadContact(phoneNumberId: string, waId: string): Promise<ContactRecord> {
    const c = this.state.contact(phoneNumberId, waId);
    if (!c.loaded) {
      c.loaded = true;
      const history = this.opts.bootstrap?.history;
      if (history) {
        try {
          this.state.applyHistory(c, await history(phoneNumberId, waId));
        } catch (err) {
          log.warn("simulator.history_failed", { phoneNumberId, waId, error: String(err) });
        }
      }
    }
    return c;
  }

  // ---------------------------------------------------------------- sending

  /**
   * POST /{phone-number-id}/messages. Validates like Meta, refuses free-form outside the
   * customer service window (131047), then accepts and starts the status lifecycle.
   */
  async sendMessage(
    phoneNumberId: string,
    body: unknown,
    meta: { apiVersion: number; idempotencyHeader: string | null },
  ): Promise<Record<string, unknown>> {
    if (!isObj(body)) throw invalidParameter("The request body must be a JSON object.");
    if (body.messaging_product !== "whatsapp") {
      throw invalidParameter('The parameter messaging_product is required and must be "whatsapp".');
    }
    const number = this.state.numberFor(phoneNumberId);

    if (body.status === "read") return this.markRead(number, body);
    if (body.recipient_type !== undefined && body.recipient_type !== "individual") {
      throw invalidParameter('recipient_type must be "individual".');
    }
    const rawTo = body.to;
    if (typeof rawTo !== "string" || !PHONE_RE.test(rawTo.trim())) {
      throw ERR.undeliverable(
        `Recipient phone number is not a valid WhatsApp ID: ${JSON.stringify(rawTo ?? null)}`,
      );
    }
    const to = rawTo.replace(/\D/g, "");
    if (to.length < 7 || to.length > 15) {
      throw ERR.undeliverable(`Recipient phone number is not a valid WhatsApp ID: ${JSON.stringify(rawTo)}`);
    }
    const type = body.type === undefined ? "text" : body.type;
    if (typeof type !== "string" || !(SEND_TYPES as readonly string[]).includes(type)) {
      throw invalidParameter(
        `Param type must be one of {${SEND_TYPES.join(", ")}} - got ${JSON.stringify(type)}.`,
      );
    }
    validateSendPayload(type, body);
    const bizOpaque =
      typeof body.biz_opaque_callback_data === "string" ? body.biz_opaque_callback_data : null;
    if (bizOpaque !== null && bizOpaque.length > 512) {
      throw invalidParameter("biz_opaque_callback_data is limited to 512 characters.");
    }

    const contact = await this.loadContact(phoneNumberId, to);
    const now = Date.now();
    let template: SentMessage["template"] = null;
    if (type === "template") {
      template = this.resolveTemplate(number, body.template as TemplateSend);
    } else {
      const preview = previewOutbound(contact.events, now, { kind: type });
      if (!preview.allowed) throw ERR.reengagement();
    }

    const msg: SentMessage = {
      wamid: newWamid(to),
      phoneNumberId,
      to,
      type,
      payload: body,
      at: now,
      apiVersion: meta.apiVersion,
      idempotencyKey: bizOpaque ?? meta.idempotencyHeader,
      bizOpaque,
      template,
      statuses: [],
    };
    this.state.recordSent(msg);
    void this.runStatusLifecycle(msg);
    return {
      messaging_product: "whatsapp",
      contacts: [{ input: rawTo, wa_id: to }],
      messages: [type === "template" ? { id: msg.wamid, message_status: "accepted" } : { id: msg.wamid }],
    };
  }

  private resolveTemplate(number: SimNumber, send: TemplateSend): NonNullable<SentMessage["template"]> {
    const name = send.name;
    const code = send.language?.code;
    if (typeof name !== "string" || name === "") throw invalidParameter("template.name is required.");
    if (typeof code !== "string" || code === "")
      throw invalidParameter("template.language.code is required.");
    const t = this.state.findTemplate(number.wabaId, name, code);
    if (!t || t.status === "PENDING" || t.status === "REJECTED") throw ERR.templateMissing(name, code);
    if (t.status === "PAUSED") throw ERR.templatePaused(name);
    if (t.status === "DISABLED") throw ERR.templateDisabled(name);
    const rendered = checkTemplateSend(t, send);
    return { id: t.id, name: t.name, language: t.language, category: t.category, rendered };
  }

  /** Mark-as-read (and typing indicators): the business read a customer's message. */
  private markRead(number: SimNumber, body: Record<string, unknown>): Record<string, unknown> {
    if (typeof body.message_id !== "string" || body.message_id === "") {
      throw invalidParameter("message_id is required to mark a message as read.");
    }
    const m = this.state.inboundById.get(body.message_id);
    if (m && m.phoneNumberId === number.phoneNumberId) {
      // WhatsApp marks the whole chat read up to this message, like the blue ticks on a phone.
      for (const other of this.state.inbound) {
        if (other.phoneNumberId === m.phoneNumberId && other.from === m.from && other.at <= m.at) {
          other.readByBusiness = true;
        }
      }
    }
    return { success: true };
  }

  /** sent → delivered → read (or → failed for an undeliverable customer), statusDelayMs apart. */
  private async runStatusLifecycle(msg: SentMessage) {
    const d = this.state.config.statusDelayMs;
    if (!(await this.sleep(Math.min(50, d)))) return;
    await this.emitStatus(msg, "sent");
    if (!(await this.sleep(d))) return;
    if (this.state.undeliverable.has(msg.to)) {
      await this.emitStatus(msg, "failed", { code: 131026 });
      return;
    }
    await this.emitStatus(msg, "delivered");
    if (!this.state.config.autoRead) return;
    if (!(await this.sleep(d))) return;
    await this.emitStatus(msg, "read");
  }

  /**
   * Records status `status` of `msg` now and posts its webhook with Meta's conversation and pricing
   * objects (computed by the window engine). Null if that status was already reported.
   */
  async emitStatus(
    msg: SentMessage,
    status: DeliveryStatusName,
    failure?: { code: number; title?: string; details?: string },
  ): Promise<WebhookDelivery | null> {
    const at = Math.floor(Date.now() / 1000) * 1000; // Meta stamps statuses in whole seconds
    const hadDelivery = msg.statuses.some((s) => s.status === "delivered" || s.status === "read");
    if (!this.state.recordStatus(msg.wamid, status, at)) return null;
    const number = this.state.numberFor(msg.phoneNumberId);
    const contact = this.state.contact(msg.phoneNumberId, msg.to);

    const entry: Record<string, unknown> = {
      id: msg.wamid,
      status,
      timestamp: String(at / 1000),
      recipient_id: msg.to,
    };
    if (msg.bizOpaque !== null) entry.biz_opaque_callback_data = msg.bizOpaque;
    // Meta sends conversation + pricing with `sent` and with the first of delivered/read.
    if (status === "sent" || ((status === "delivered" || status === "read") && !hadDelivery)) {
      const billing = statusBilling({
        events: contact.events,
        wamid: msg.wamid,
        status,
        at,
        pricingModel: this.state.config.pricingModel,
        scope: contact.key,
        apiVersion: msg.apiVersion,
      });
      if (billing?.conversation) entry.conversation = billing.conversation;
      if (billing) entry.pricing = billing.pricing;
    }
    if (status === "failed") {
      const code = failure?.code ?? 131026;
      const title = failure?.title ?? (code === 131026 ? "Message undeliverable" : "Message failed to send");
      entry.errors = [
        {
          code,
          title,
          message: title,
          error_data: {
            details:
              failure?.details ??
              (code === 131026
                ? "Unable to deliver message. The recipient may not be a WhatsApp user or may use an old version of WhatsApp."
                : "The message could not be delivered."),
          },
          href: "/documentation/business-messaging/whatsapp/support/error-codes",
        },
      ];
    }
    return this.sender.post("statuses", msg.wamid, status, {
      object: "whatsapp_business_account",
      entry: [
        {
          id: number.wabaId,
          changes: [
            {
              value: {
                messaging_product: "whatsapp",
                metadata: {
                  display_phone_number: number.displayPhoneNumber,
                  phone_number_id: number.phoneNumberId,
                },
                statuses: [entry],
              },
              field: "messages",
            },
          ],
        },
      ],
    });
  }

  /** The customer opened the chat: every delivered, unread business message becomes `read`. */
  async customerRead(phoneNumberId: string, waId: string): Promise<number> {
    let n = 0;
    for (const m of this.state.sent) {
      if (m.phoneNumberId !== phoneNumberId || m.to !== waId) continue;
      const has = (s: string) => m.statuses.some((x) => x.status === s);
      if (has("delivered") && !has("read") && !has("failed")) {
        if (await this.emitStatus(m, "read")) n += 1;
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- customers writing in

  /** A customer sends a message: records it and posts the signed `messages` webhook. */
  async inbound(
    input: InboundInput,
  ): Promise<{ wamid: string; status: number; message: Record<string, unknown> }> {
    if (!isObj(input)) throw new SimInputError("body must be a JSON object");
    const from = String(input.from ?? "").replace(/\D/g, "");
    if (from.length < 7 || from.length > 15) {
      throw new SimInputError(
        `"from" must be the customer's number, 7–15 digits (got ${JSON.stringify(input.from ?? null)})`,
      );
    }
    if (input.phone_number_id !== undefined && typeof input.phone_number_id !== "string") {
      throw new SimInputError('"phone_number_id" must be a string');
    }
    const phoneNumberId =
      input.phone_number_id ?? [...this.state.numbers.values()].find((n) => !n.learned)?.phoneNumberId;
    if (!phoneNumberId) throw new SimInputError("no business number known: pass phone_number_id");
    const number = this.state.numbers.get(phoneNumberId);
    if (!number) {
      throw new SimInputError(
        `unknown phone_number_id ${phoneNumberId}: register it with POST /_sim/numbers {phone_number_id, waba_id, display_phone_number}`,
      );
    }
    let seconds = Math.floor(Date.now() / 1000);
    if (input.timestamp !== undefined) {
      const ts = Number(input.timestamp);
      if (!Number.isInteger(ts) || ts <= 0 || ts > seconds + 60) {
        throw new SimInputError(
          `"timestamp" must be unix seconds, not in the future (got ${String(input.timestamp)})`,
        );
      }
      seconds = ts;
    }
    const contact = await this.loadContact(phoneNumberId, from);
    if (input.name !== undefined && typeof input.name !== "string")
      throw new SimInputError('"name" must be a string');
    const name = (input.name ?? "").trim() || contact.name || "WhatsApp User";
    const type = input.type ?? (input.button ? "button" : input.interactive ? "interactive" : "text");
    const wamid = newWamid(from);

    const message: Record<string, unknown> = {};
    if (input.context_id !== undefined) {
      if (typeof input.context_id !== "string") throw new SimInputError('"context_id" must be a wamid');
      message.context = { from: number.displayPhoneNumber, id: input.context_id };
    }
    let referral: Record<string, unknown> | null = null;
    if (input.referral === true) referral = defaultReferral();
    else if (isObj(input.referral)) referral = input.referral;
    if (referral) message.referral = referral;
    Object.assign(message, { from, id: wamid, timestamp: String(seconds), type });

    switch (type) {
      case "text": {
        if (typeof input.text !== "string" || input.text.trim() === "")
          throw new SimInputError('"text" is required');
        if (input.text.length > 4096) throw new SimInputError('"text" is limited to 4096 characters');
        message.text = { body: input.text };
        break;
      }
      case "image": {
        const media = this.mediaFor(input.media_id);
        message.image = {
          ...(input.caption || input.text ? { caption: input.caption ?? input.text } : {}),
          mime_type: media.mimeType,
          sha256: Buffer.from(media.sha256Hex, "hex").toString("base64"),
          id: media.id,
          url: `${this.baseUrl}/_sim/media/${media.id}`,
        };
        break;
      }
      case "button": {
        const text = input.button?.text ?? input.text;
        if (typeof text !== "string" || text === "") throw new SimInputError('"button.text" is required');
        if (!message.context)
          throw new SimInputError('a quick-reply tap needs "context_id" (the template\'s wamid)');
        message.button = { payload: input.button?.payload ?? text, text };
        break;
      }
      case "interactive": {
        const i = input.interactive;
        if (!i || typeof i.id !== "string" || typeof i.title !== "string") {
          throw new SimInputError('"interactive" needs {type: "button_reply"|"list_reply", id, title}');
        }
        if (!message.context) throw new SimInputError('an interactive reply needs "context_id"');
        const kind = i.type === "list_reply" ? "list_reply" : "button_reply";
        message.interactive = {
          type: kind,
          [kind]: {
            id: i.id,
            title: i.title,
            ...(kind === "list_reply" && i.description ? { description: i.description } : {}),
          },
        };
        break;
      }
      case "reaction": {
        if (typeof input.reaction?.message_id !== "string")
          throw new SimInputError('"reaction.message_id" is required');
        message.reaction = { message_id: input.reaction.message_id, emoji: input.reaction.emoji ?? "👍" };
        break;
      }
      case "location": {
        const l = input.location;
        if (!l || typeof l.latitude !== "number" || typeof l.longitude !== "number") {
          throw new SimInputError('"location" needs numeric latitude and longitude');
        }
        message.location = { latitude: l.latitude, longitude: l.longitude, name: l.name, address: l.address };
        break;
      }
      default:
        throw new SimInputError(
          `unsupported inbound type ${JSON.stringify(type)}: text, image, button, interactive, reaction, location`,
        );
    }

    const record: InboundMessage = {
      wamid,
      phoneNumberId,
      from,
      name,
      type,
      message,
      at: seconds * 1000,
      webhookStatus: 0,
      readByBusiness: false,
    };
    this.state.recordInbound(record, referral);
    const delivery = await this.sender.post("messages", wamid, type, {
      object: "whatsapp_business_account",
      entry: [
        {
          id: number.wabaId,
          changes: [
            {
              value: {
                messaging_product: "whatsapp",
                metadata: {
                  display_phone_number: number.displayPhoneNumber,
                  phone_number_id: number.phoneNumberId,
                },
                contacts: [{ profile: { name }, wa_id: from }],
                messages: [message],
              },
              field: "messages",
            },
          ],
        },
      ],
    });
    record.webhookStatus = delivery.attempts[0]?.status ?? 0;
    return { wamid, status: record.webhookStatus, message };
  }

  /** An existing media id, or a freshly "photographed" PNG. */
  private mediaFor(mediaId: string | undefined): SimMedia {
    if (mediaId !== undefined) {
      const m = this.state.media.get(mediaId);
      if (!m) throw new SimInputError(`unknown media_id ${mediaId}`);
      return m;
    }
    const rgb = [...randomBytes(3)] as [number, number, number];
    return this.state.addMedia(makePng(rgb), "image/png", null);
  }

  // ---------------------------------------------------------------- templates

  /** POST /{waba-id}/message_templates */
  createTemplate(wabaId: string, body: unknown): Record<string, unknown> {
    if (!isObj(body)) throw invalidParameter("The request body must be a JSON object.");
    const { name, language, category } = validateTemplateHeader(body);
    const { components, parameterFormat } = validateTemplateComponents(
      body.components,
      category,
      body.parameter_format,
    );
    if (this.state.findTemplate(wabaId, name, language)) {
      const label = languageLabel(language);
      throw invalidParameter(`Message template "${name}" already has content in ${language}.`, {
        error_subcode: 2388024,
        is_transient: false,
        error_user_title: "Content in This Language Already Exists",
        error_user_msg: `There is already ${label} content for this template. You can create a new template and try again.`,
      });
    }
    const deletedAt = this.state.deletedTemplates.get(`${wabaId}|${name}|${language}`);
    if (deletedAt !== undefined && Date.now() - deletedAt < 30 * 24 * 3600_000) {
      const label = languageLabel(language);
      throw invalidParameter(`Message template "${name}" (${language}) is being deleted.`, {
        error_subcode: 2388023,
        is_transient: false,
        error_user_title: "Message Template Language Is Being Deleted",
        error_user_msg: `New ${label} content can't be added while the existing ${label} content is being deleted. Try again in 4 weeks or consider creating a new message template.`,
      });
    }
    const t = this.state.addTemplate({
      waba_id: wabaId,
      name,
      language,
      category,
      status: "PENDING",
      components,
      parameter_format: parameterFormat,
    });
    this.scheduleReview(t);
    return { id: t.id, status: t.status, category: t.category };
  }

  /** POST /{template-id}: Meta's edit rules, then back to review. */
  editTemplate(t: SimTemplate, body: unknown): Record<string, unknown> {
    if (!isObj(body)) throw invalidParameter("The request body must be a JSON object.");
    if (!["APPROVED", "REJECTED", "PAUSED"].includes(t.status)) {
      throw invalidParameter(`Template ${t.name} cannot be edited while ${t.status}.`, {
        error_subcode: 2388040,
        error_user_title: "Message template can't be edited",
        error_user_msg: `Only approved, rejected or paused templates can be edited; this one is ${t.status}.`,
      });
    }
    let category = t.category;
    if (body.category !== undefined) {
      const c = String(body.category).toUpperCase();
      if (!["MARKETING", "UTILITY", "AUTHENTICATION"].includes(c)) {
        throw invalidParameter(
          `category must be MARKETING, UTILITY or AUTHENTICATION (got ${JSON.stringify(body.category)})`,
        );
      }
      if (c !== t.category && t.status === "APPROVED") {
        throw invalidParameter("The category of an approved template can't be changed.", {
          error_subcode: 2388040,
          error_user_title: "Category can't be changed",
          error_user_msg:
            "You can't change the category of an approved message template. Create a new template instead.",
        });
      }
      category = c as SimTemplate["category"];
    }
    if (body.components === undefined && body.category === undefined) {
      throw invalidParameter("Nothing to edit: send components and/or category.");
    }
    const now = Date.now();
    if (t.status === "APPROVED") {
      // Approved templates: one edit per 24 hours, ten per 30 days.
      const recent = t.approvedEdits.filter((at) => now - at < 30 * 24 * 3600_000);
      if (recent.some((at) => now - at < 24 * 3600_000) || recent.length >= 10) {
        throw invalidParameter("Edit limit reached for this template.", {
          error_subcode: 2388040,
          error_user_title: "Edit limit reached",
          error_user_msg:
            "An approved template can be edited once every 24 hours and up to 10 times in 30 days.",
        });
      }
    }
    const next =
      body.components === undefined
        ? { components: t.components, parameterFormat: t.parameterFormat }
        : validateTemplateComponents(body.components, category, body.parameter_format ?? t.parameterFormat);
    if (t.status === "APPROVED") t.approvedEdits.push(now);
    t.components = next.components;
    t.parameterFormat = next.parameterFormat;
    t.category = category;
    t.status = "PENDING";
    t.rejectedReason = null;
    t.updatedAt = now;
    this.scheduleReview(t);
    return { success: true, id: t.id, category: t.category };
  }

  /** DELETE /{waba-id}/message_templates?name=…[&hsm_id=…] */
  deleteTemplates(wabaId: string, name: string | null, hsmId: string | null): Record<string, unknown> {
    if (!name) throw invalidParameter("The parameter name is required.");
    const victims = this.state
      .templatesOf(wabaId)
      .filter((t) => t.name === name && (hsmId === null || t.id === hsmId));
    if (victims.length === 0) {
      throw invalidParameter(`Message template "${name}" not found.`, {
        error_subcode: 2593002,
        error_user_title: "Message template not found",
        error_user_msg: `There is no message template named ${name}${hsmId ? ` with id ${hsmId}` : ""}.`,
      });
    }
    for (const t of victims) {
      this.state.templates.delete(t.id);
      this.state.deletedTemplates.set(`${wabaId}|${t.name}|${t.language}`, Date.now());
    }
    return { success: true };
  }

  private scheduleReview(t: SimTemplate) {
    const updatedAt = t.updatedAt;
    void this.sleep(this.state.config.approvalDelayMs).then((alive) => {
      const now = this.state.templates.get(t.id);
      // A template deleted, edited again, or moved by hand meanwhile is not reviewed by this timer.
      if (!alive || now !== t || t.status !== "PENDING" || t.updatedAt !== updatedAt) return;
      void this.review(t);
    });
  }

  /** Meta's review verdict: names containing "reject" are rejected (INVALID_FORMAT), the rest approved. */
  private review(t: SimTemplate): Promise<WebhookDelivery> {
    return t.name.includes("reject")
      ? this.setTemplateStatus(t, "REJECTED", "INVALID_FORMAT")
      : this.setTemplateStatus(t, "APPROVED");
  }

  /** Reviews PENDING templates now instead of after approvalDelayMs (all, or the one with `id`). */
  async reviewNow(id?: string): Promise<Array<{ id: string; status: string }>> {
    const pending = [...this.state.templates.values()].filter(
      (t) => t.status === "PENDING" && (id === undefined || t.id === id),
    );
    for (const t of pending) await this.review(t);
    return pending.map((t) => ({ id: t.id, status: t.status }));
  }

  /** Moves a template to `status` and posts the `message_template_status_update` webhook. */
  async setTemplateStatus(t: SimTemplate, status: string, reason?: string): Promise<WebhookDelivery> {
    if (!(TEMPLATE_STATUSES_META as readonly string[]).includes(status)) {
      throw new SimInputError(`status must be one of ${TEMPLATE_STATUSES_META.join(", ")}`);
    }
    t.status = status as MetaTemplateStatus;
    t.rejectedReason = status === "REJECTED" ? (reason ?? "INVALID_FORMAT") : null;
    t.updatedAt = Date.now();
    const value: Record<string, unknown> = {
      event: status,
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      reason: status === "REJECTED" ? t.rejectedReason : (reason ?? "NONE"),
      message_template_category: t.category,
    };
    if (status === "PAUSED") {
      value.other_info = {
        title: "FIRST_PAUSE",
        description:
          "Your WhatsApp message template has been paused for 3 hours until Jun 10 at 5:00 PM UTC because it had issues.",
      };
    }
    if (status === "DISABLED") {
      value.other_info = {
        title: "DISABLED",
        description: "Your message template has been disabled because of low quality.",
      };
    }
    log.info("simulator.template_status", { id: t.id, name: t.name, status });
    return this.sender.post("message_template_status_update", t.id, status, {
      entry: [
        {
          id: t.wabaId,
          time: Math.floor(Date.now() / 1000),
          changes: [{ value, field: "message_template_status_update" }],
        },
      ],
      object: "whatsapp_business_account",
    });
  }

  // ---------------------------------------------------------------- lookups

  templateOrThrow(id: string, method: string): SimTemplate {
    const t = this.state.templates.get(id);
    if (!t) throw unknownObject(id, method);
    return t;
  }

  /** What the customer's phone shows for one chat, oldest first. */
  conversation(phoneNumberId: string, waId: string): ConversationItem[] {
    const items: ConversationItem[] = [];
    const contact = this.state.contacts.get(this.state.contactKey(phoneNumberId, waId));
    for (const h of contact?.history ?? []) {
      items.push({
        wamid: h.wamid,
        direction: h.direction === "inbound" ? "in" : "out",
        at: h.at,
        type: h.type,
        text: h.text ?? null,
        status:
          h.direction === "inbound"
            ? "received"
            : h.failedAt
              ? "failed"
              : h.readAt
                ? "read"
                : h.deliveredAt
                  ? "delivered"
                  : "sent",
        template: null,
        buttons: [],
        media: null,
        contextId: null,
        referral: Boolean(h.referral),
        readByBusiness: false,
      });
    }
    for (const m of this.state.inbound) {
      if (m.phoneNumberId !== phoneNumberId || m.from !== waId) continue;
      items.push(inboundItem(m));
    }
    for (const m of this.state.sent) {
      if (m.phoneNumberId !== phoneNumberId || m.to !== waId) continue;
      items.push(outboundItem(m));
    }
    return items.sort((a, b) => a.at - b.at);
  }
}

function inboundItem(m: InboundMessage): ConversationItem {
  const msg = m.message as Record<string, Record<string, unknown> | undefined>;
  let text: string | null = null;
  let media: ConversationItem["media"] = null;
  if (m.type === "text") text = String(msg.text?.body ?? "");
  if (m.type === "button") text = String(msg.button?.text ?? "");
  if (m.type === "interactive") {
    const i = msg.interactive as Record<string, Record<string, unknown>> | undefined;
    text = String(i?.button_reply?.title ?? i?.list_reply?.title ?? "");
  }
  if (m.type === "reaction") text = `Reacted ${String(msg.reaction?.emoji ?? "")}`;
  if (m.type === "location")
    text = `📍 ${String(msg.location?.name ?? `${msg.location?.latitude}, ${msg.location?.longitude}`)}`;
  if (m.type === "image") {
    text = (msg.image?.caption as string | undefined) ?? null;
    media = {
      url: `/phone/media/${String(msg.image?.id)}`,
      mimeType: "image/png",
      caption: text,
      filename: null,
    };
  }
  const context = msg.context as { id?: string } | undefined;
  return {
    wamid: m.wamid,
    direction: "in",
    at: m.at,
    type: m.type,
    text,
    status: m.webhookStatus >= 200 && m.webhookStatus < 300 ? "received" : "webhook_failed",
    template: null,
    buttons: [],
    media,
    contextId: context?.id ?? null,
    referral: Boolean(msg.referral),
    readByBusiness: m.readByBusiness,
  };
}

function outboundItem(m: SentMessage): ConversationItem {
  const p = m.payload as Record<string, Record<string, unknown> | undefined>;
  const order = ["failed", "read", "delivered", "sent"];
  const status = order.find((s) => m.statuses.some((x) => x.status === s)) ?? "accepted";
  let text: string | null = null;
  let media: ConversationItem["media"] = null;
  const buttons: ConversationItem["buttons"] = [];
  if (m.type === "text") text = String(p.text?.body ?? "");
  if ((MEDIA_TYPES as readonly string[]).includes(m.type)) {
    const obj = p[m.type] ?? {};
    const url = typeof obj.id === "string" ? `/phone/media/${obj.id}` : String(obj.link ?? "");
    text = typeof obj.caption === "string" ? obj.caption : null;
    media = {
      url,
      mimeType: null,
      caption: text,
      filename: typeof obj.filename === "string" ? obj.filename : null,
    };
  }
  if (m.type === "reaction") text = `Reacted ${String(p.reaction?.emoji ?? "")}`;
  if (m.type === "location")
    text = `📍 ${String(p.location?.name ?? `${p.location?.latitude}, ${p.location?.longitude}`)}`;
  if (m.type === "contacts") text = "👤 Contact card";
  if (m.type === "interactive") {
    const i = p.interactive as {
      body?: { text?: string };
      action?: {
        buttons?: Array<{ reply?: { id?: string; title?: string } }>;
        sections?: Array<{ rows?: Array<{ id?: string; title?: string }> }>;
        parameters?: { display_text?: string; url?: string };
      };
    };
    text = i.body?.text ?? null;
    for (const b of i.action?.buttons ?? []) {
      if (b.reply?.id && b.reply.title) buttons.push({ kind: "reply", id: b.reply.id, title: b.reply.title });
    }
    for (const s of i.action?.sections ?? []) {
      for (const r of s.rows ?? [])
        if (r.id && r.title) buttons.push({ kind: "list_row", id: r.id, title: r.title });
    }
    if (i.action?.parameters?.url) {
      buttons.push({
        kind: "url",
        id: "url",
        title: i.action.parameters.display_text ?? "Open",
        url: i.action.parameters.url,
      });
    }
  }
  let template: ConversationItem["template"] = null;
  if (m.template) {
    template = { ...m.template.rendered, name: m.template.name };
    text = m.template.rendered.body;
    m.template.rendered.buttons.forEach((b, i) => {
      if (b.type === "QUICK_REPLY")
        buttons.push({ kind: "quick_reply", id: b.payload ?? b.text, title: b.text });
      else if (b.url) buttons.push({ kind: "url", id: String(i), title: b.text, url: b.url });
    });
  }
  const context = p.context as { message_id?: string } | undefined;
  return {
    wamid: m.wamid,
    direction: "out",
    at: m.at,
    type: m.type,
    text,
    status,
    template,
    buttons,
    media,
    contextId: context?.message_id ?? null,
    referral: false,
    readByBusiness: false,
  };
}

/** Type-specific checks of a send body (what Meta refuses synchronously). */
function validateSendPayload(type: string, body: Record<string, unknown>) {
  const obj = body[type];
  if (type === "contacts") {
    if (!Array.isArray(obj) || obj.length === 0)
      throw invalidParameter("contacts must be a non-empty array.");
    return;
  }
  if (!isObj(obj)) throw invalidParameter(`The parameter ${type} is required for type ${type}.`);
  switch (type) {
    case "text":
      if (typeof obj.body !== "string" || obj.body.length === 0)
        throw invalidParameter("The parameter text['body'] is required.");
      if (obj.body.length > 4096) throw invalidParameter("text['body'] is limited to 4096 characters.");
      return;
    case "template":
      if (obj.components !== undefined && !Array.isArray(obj.components)) {
        throw invalidParameter("template['components'] must be an array.");
      }
      return;
    case "interactive": {
      const kinds = [
        "button",
        "list",
        "cta_url",
        "product",
        "product_list",
        "flow",
        "location_request_message",
        "address_message",
      ];
      if (typeof obj.type !== "string" || !kinds.includes(obj.type)) {
        throw invalidParameter(`interactive['type'] must be one of ${kinds.join(", ")}.`);
      }
      const bodyText = isObj(obj.body) ? obj.body.text : undefined;
      if (
        (obj.type === "button" || obj.type === "list") &&
        (typeof bodyText !== "string" || bodyText === "")
      ) {
        throw invalidParameter("interactive['body']['text'] is required.");
      }
      const action = isObj(obj.action) ? obj.action : {};
      if (obj.type === "button") {
        const buttons = action.buttons;
        if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) {
          throw invalidParameter("interactive button messages need 1 to 3 buttons.");
        }
        for (const b of buttons) {
          const reply = isObj(b) && isObj(b.reply) ? b.reply : null;
          if (
            !reply ||
            typeof reply.id !== "string" ||
            typeof reply.title !== "string" ||
            reply.title.length > 20
          ) {
            throw invalidParameter(
              "every reply button needs reply.id and a reply.title of at most 20 characters.",
            );
          }
        }
      }
      if (obj.type === "list" && (!Array.isArray(action.sections) || typeof action.button !== "string")) {
        throw invalidParameter("interactive list messages need action.button and action.sections.");
      }
      return;
    }
    case "reaction":
      if (typeof obj.message_id !== "string" || typeof obj.emoji !== "string") {
        throw invalidParameter("reaction needs message_id and emoji.");
      }
      return;
    case "location":
      if (!Number.isFinite(Number(obj.latitude)) || !Number.isFinite(Number(obj.longitude))) {
        throw invalidParameter("location needs numeric latitude and longitude.");
      }
      return;
    default: {
      // image, audio, video, document, sticker
      const hasId = typeof obj.id === "string" && obj.id !== "";
      const hasLink = typeof obj.link === "string" && /^https?:\/\//.test(obj.link);
      if (hasId === hasLink)
        throw invalidParameter(
          `${type} needs exactly one of id (an uploaded media id) or link (an http(s) URL).`,
        );
      if (type === "audio" || type === "sticker") {
        if (obj.caption !== undefined) throw invalidParameter(`${type} messages cannot have a caption.`);
      }
    }
  }
}
