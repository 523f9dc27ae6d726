"use client";

import { Loader2Icon, PauseIcon, PlayIcon, RocketIcon, XIcon } from "lucide-react";
import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import { formatMoney } from "@/components/costs/money";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { useSocketEvent } from "@/lib/realtime/client";
import type { CampaignDetail, RecipientRow } from "@/lib/services/campaigns";
import { type ApiError, campaignApi } from "./api";
import { PreviewSummary } from "./preview-summary";
import { CampaignStatusBadge } from "./status-badge";

const ACTIVE = new Set(["scheduled", "running", "paused"]);

/**
 * A campaign's page: live progress (socket `campaign:progress`, with a slow poll as a fallback),
 * pause / resume / cancel, why recipients were excluded or failed, and — once messages are
 * delivered — the engine's actual cost beside the preview.
 */
export function CampaignLive({ initial }: { initial: CampaignDetail }) {
  const [c, setC] = useState(initial);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [failed, setFailed] = useState<RecipientRow[] | null>(null);
  const [excluded, setExcluded] = useState<RecipientRow[] | null>(null);
  const [launchAt, setLaunchAt] = useState("");
  const p = c.progress;

  const refresh = useCallback(async () => {
    const r = await campaignApi<CampaignDetail>(`/${c.id}`);
    if (r.ok) setC(r.data);
  }, [c.id]);

  useSocketEvent("campaign:progress", (e) => {
    if (e.campaignId === c.id) void refresh();
  });
  // Sockets can drop; while the campaign is moving, a slow poll keeps the numbers honest.
  useEffect(() => {
    if (!ACTIVE.has(c.status) && p.pending === 0) return;
    const t = setInterval(() => void refresh(), 5_000);
    return () => clearInterval(t);
  }, [c.status, p.pending, refresh]);

  async function act(action: "pause" | "resume" | "cancel") {
    if (action === "cancel" && !window.confirm("Cancel this campaign? Nobody else will be sent to.")) return;
    setBusy(action);
    const r = await campaignApi<{ status: string }>(`/${c.id}/state`, { body: { action } });
    setBusy(null);
    if (!r.ok) return setError(r.error);
    setError(null);
    toast.success(
      { pause: "Campaign paused.", resume: "Campaign resumed.", cancel: "Campaign cancelled." }[action],
    );
    await refresh();
  }

  async function launch(when: "now" | "later") {
    setBusy("launch");
    const r = await campaignApi(`/${c.id}/launch`, {
      body: when === "now" ? { when } : { when, at: launchAt },
    });
    setBusy(null);
    if (!r.ok) return setError(r.error);
    setError(null);
    await refresh();
  }

  async function loadList(filter: "failed" | "excluded") {
    const r = await campaignApi<{ recipients: RecipientRow[] }>(`/${c.id}/recipients?filter=${filter}`);
    if (!r.ok) return setError(r.error);
    (filter === "failed" ? setFailed : setExcluded)(r.data.recipients);
  }

  const fmt = (iso: string | null) =>
    iso
      ? new Intl.DateTimeFormat("en-US", {
          timeZone: c.timezone,
          dateStyle: "medium",
          timeStyle: "short",
        }).format(new Date(iso))
      : "—";
  const sendable = p.audience - p.excluded;
  const handed = sendable - p.queued;
  const pct = (n: number) => (sendable > 0 ? Math.round((n / sendable) * 100) : 0);
  const preview = c.plan.startPreview ?? c.plan.preview;
  const money = (m: number) => formatMoney(m, preview?.currency ?? "USD");

  const stats: Array<[string, number, string]> = [
    ["Waiting", p.queued, "not handed to WhatsApp yet"],
    ["Sending", p.pending, "waiting for WhatsApp to accept"],
    ["Sent", p.sent, "accepted by WhatsApp"],
    ["Delivered", p.delivered, "reached the phone"],
    ["Read", p.read, "opened by the customer"],
    ["Failed", p.failed, "not delivered"],
    ["Replied", p.replied, "wrote back afterwards"],
  ];

  return (
    <div className="grid gap-6">
      <header className="grid gap-2">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-semibold">{c.name}</h1>
          <CampaignStatusBadge status={c.status} />
        </div>
        <p className="text-sm text-muted-foreground">
          {c.inbox.name} · template <strong>{c.template.name}</strong> ({c.template.language},{" "}
          {c.template.category.toLowerCase()}) · {c.ratePerSecond} msg/s · created {fmt(c.createdAt)}
          {c.createdByName ? ` by ${c.createdByName}` : ""}
        </p>
        <p className="text-sm text-muted-foreground">
          {c.status === "scheduled" && `Starts ${fmt(c.scheduledAt)} (${c.timezone}). `}
          {c.startedAt && `Started ${fmt(c.startedAt)}. `}
          {c.finishedAt && `${c.status === "cancelled" ? "Cancelled" : "Finished"} ${fmt(c.finishedAt)}.`}
        </p>
        {c.plan.pausedReason && (
          <p role="alert" className="text-sm text-warning">
            Paused by itself: {c.plan.pausedReason}
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          {c.status === "draft" && (
            <>
              <Button onClick={() => void launch("now")} disabled={busy !== null}>
                <RocketIcon /> Launch now
              </Button>
              <input
                type="datetime-local"
                aria-label={`Send at (${c.timezone})`}
                className="h-9 rounded-md border px-2 text-sm"
                value={launchAt}
                onChange={(e) => setLaunchAt(e.target.value)}
              />
              <Button
                variant="outline"
                onClick={() => void launch("later")}
                disabled={busy !== null || !launchAt}
              >
                Schedule
              </Button>
            </>
          )}
          {(c.status === "running" || c.status === "scheduled") && (
            <Button variant="outline" onClick={() => void act("pause")} disabled={busy !== null}>
              {busy === "pause" ? <Loader2Icon className="animate-spin" /> : <PauseIcon />} Pause
            </Button>
          )}
          {c.status === "paused" && (
            <Button onClick={() => void act("resume")} disabled={busy !== null}>
              {busy === "resume" ? <Loader2Icon className="animate-spin" /> : <PlayIcon />} Resume
            </Button>
          )}
          {c.status !== "completed" && c.status !== "cancelled" && (
            <Button variant="ghost" onClick={() => void act("cancel")} disabled={busy !== null}>
              <XIcon /> Cancel campaign
            </Button>
          )}
        </div>
        {error && (
          <p role="alert" className="text-sm text-destructive">
            {error.message}
          </p>
        )}
      </header>

      <section aria-label="Progress" className="grid gap-3 rounded-lg border p-4">
        <div className="flex items-baseline justify-between gap-2">
          <h2 className="font-semibold">Progress</h2>
          <p className="text-sm tabular-nums" data-testid="campaign-progress">
            {handed.toLocaleString("en-US")} / {sendable.toLocaleString("en-US")} handed over ·{" "}
            {pct(p.delivered)}% delivered
          </p>
        </div>
        <div
          className="flex h-2 overflow-hidden rounded-full bg-muted"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={sendable}
          aria-valuenow={p.delivered}
          aria-label="Delivered"
        >
          <div className="bg-success" style={{ width: `${pct(p.delivered)}%` }} />
          <div className="bg-primary/60" style={{ width: `${pct(p.sent - p.delivered)}%` }} />
          <div className="bg-destructive" style={{ width: `${pct(p.failed)}%` }} />
        </div>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-7">
          {stats.map(([label, n, hint]) => (
            <div key={label} className="grid gap-0.5" title={hint}>
              <dt className="text-xs text-muted-foreground">{label}</dt>
              <dd className="text-lg font-semibold tabular-nums" data-testid={`stat-${label.toLowerCase()}`}>
                {n.toLocaleString("en-US")}
              </dd>
            </div>
          ))}
        </dl>
        {p.failures.length > 0 && (
          <div className="grid gap-1 text-sm">
            <p className="font-medium">Why messages failed</p>
            <ul className="grid gap-0.5">
              {p.failures.map((f) => (
                <li key={f.reason} className="flex justify-between gap-2 border-t py-1">
                  <span>{f.reason}</span>
                  <span className="tabular-nums">{f.count.toLocaleString("en-US")}</span>
                </li>
              ))}
            </ul>
            {failed === null ? (
              <Button variant="link" size="sm" className="w-fit px-0" onClick={() => void loadList("failed")}>
                Show failed recipients
              </Button>
            ) : (
              <RecipientList rows={failed} />
            )}
          </div>
        )}
      </section>

      <section aria-label="Cost" className="grid gap-3 rounded-lg border p-4">
        <h2 className="font-semibold">Cost</h2>
        <div className="grid gap-3 sm:grid-cols-2">
          <div className="grid gap-0.5">
            <p className="text-xs text-muted-foreground">
              Preview{c.plan.startPreview ? " (when sending started)" : " (at launch)"}
            </p>
            <p className="text-xl font-semibold tabular-nums" data-testid="cost-preview">
              {preview ? money(preview.totalCostMicros) : "—"}
            </p>
            {preview?.model === "cbp" && (
              <p className="text-xs text-muted-foreground">
                {preview.opens.count.toLocaleString("en-US")} new {preview.category} conversations
              </p>
            )}
          </div>
          <div className="grid gap-0.5">
            <p className="text-xs text-muted-foreground">
              Actual, from the engine (delivered messages so far)
            </p>
            <p className="text-xl font-semibold tabular-nums" data-testid="cost-actual">
              {money(p.actualCostMicros)}
            </p>
            {p.model === "cbp" && (
              <p className="text-xs text-muted-foreground">
                {p.actualNewConversations.toLocaleString("en-US")} conversations opened by this campaign
              </p>
            )}
          </div>
        </div>
        {preview && p.delivered + p.failed >= sendable && sendable > 0 && (
          <p className="text-sm">
            {preview.totalCostMicros === p.actualCostMicros
              ? "The actual cost matches the preview exactly."
              : `The actual cost differs from the preview by ${money(p.actualCostMicros - preview.totalCostMicros)}: states changed between the preview and delivery (e.g. a customer wrote in, or a message failed).`}
          </p>
        )}
        {preview && <PreviewSummary preview={preview} title="What the preview said" timeZone={c.timezone} />}
        {p.excluded > 0 &&
          (excluded === null ? (
            <Button variant="link" size="sm" className="w-fit px-0" onClick={() => void loadList("excluded")}>
              Show the {p.excluded.toLocaleString("en-US")} excluded recipients
            </Button>
          ) : (
            <RecipientList rows={excluded} />
          ))}
      </section>

      <p className="text-sm">
        <Link href="/campaigns" className="text-muted-foreground hover:underline">
          ← All campaigns
        </Link>
      </p>
    </div>
  );
}

function RecipientList({ rows }: { rows: RecipientRow[] }) {
  if (rows.length === 0) return <p className="text-sm text-muted-foreground">Nobody.</p>;
  return (
    <ul className="max-h-64 overflow-y-auto text-xs">
      {rows.map((r) => (
        <li key={r.waId} className="flex gap-2 border-t py-1">
          <span className="font-mono">{r.waId}</span>
          {r.contactName && <span>{r.contactName}</span>}
          <span className="text-muted-foreground">{r.error}</span>
        </li>
      ))}
    </ul>
  );
}
