"use client";

import { EyeIcon, PencilIcon, PlusIcon, RefreshCwIcon, SearchIcon, Trash2Icon } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState, useTransition } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { toast } from "@/components/ui/toast";
import type { ActionResult } from "@/lib/action-result";
import { useConnection, useSocketEvent } from "@/lib/realtime/client";
import { rejectionText } from "@/lib/templates/status";
import { EDITABLE_STATUSES } from "@/lib/templates/validate";
import { formatMicros } from "@/lib/ui-format/money";
import type { RenderedTemplate } from "@/lib/whatsapp/template-params";
import { TemplatePreview } from "./template-preview";

/** One template row as the page shows it (serialisable). */
export type TemplateListItem = {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  rejectedReason: string | null;
  qualityRating: string | null;
  lastSyncedAt: string | null;
  visibleToAgents: boolean;
  sentThisMonth: number;
  costMicrosThisMonth: number;
  currency: string;
  preview: RenderedTemplate;
};

export type WabaView = {
  wabaId: string;
  inboxes: Array<{ id: string; name: string; displayNumber: string }>;
  templates: TemplateListItem[];
};

export type TemplateAdminActions = {
  setVisibility: (id: string, visible: boolean) => Promise<ActionResult<null>>;
  remove: (id: string) => Promise<ActionResult<null>>;
  sync: () => Promise<
    ActionResult<{
      wabas: Array<{
        wabaId: string;
        ok: boolean;
        imported: number;
        updated: number;
        removed: number;
        error?: string;
      }>;
    }>
  >;
};

const STATUS_VARIANT: Record<string, "success" | "warning" | "destructive" | "muted"> = {
  APPROVED: "success",
  PENDING: "warning",
  REJECTED: "destructive",
  PAUSED: "warning",
  DISABLED: "muted",
};

const QUALITY_TEXT: Record<string, string> = {
  GREEN: "High",
  YELLOW: "Medium",
  RED: "Low",
  UNKNOWN: "Unknown",
};

function relative(iso: string | null, now: number, locale: string): string {
  if (!iso) return "never";
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const abs = Math.abs(s);
  if (abs < 60) return rtf.format(s, "second");
  if (abs < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(s / 3600), "hour");
  return rtf.format(Math.round(s / 86400), "day");
}

/**
 * The admin page's list: templates per WhatsApp account with status (and
 * Meta's reason), quality, last sync, visibility to agents and this month's
 * sends and cost. Updates live on `template:update` (webhook, sync, other admins).
 */
export function TemplatesAdmin({
  groups,
  canEdit,
  locale,
  renderedAt,
  actions,
}: {
  groups: WabaView[];
  canEdit: boolean;
  locale: string;
  /** The server's clock when the page rendered (ms): relative times hydrate without a mismatch. */
  renderedAt: number;
  actions: TemplateAdminActions;
}) {
  const router = useRouter();
  const [query, setQuery] = useState("");
  const [syncing, startSync] = useTransition();
  const [previewing, setPreviewing] = useState<TemplateListItem | null>(null);
  const [deleting, setDeleting] = useState<TemplateListItem | null>(null);
  const [now, setNow] = useState(renderedAt);
  const byId = useMemo(() => new Map(groups.flatMap((g) => g.templates.map((t) => [t.id, t]))), [groups]);
  const byIdRef = useRef(byId);
  byIdRef.current = byId;

  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);

  // Events sent between this page's render and the socket's (re)connection are missed: refetch then.
  const { everConnected, reconnects } = useConnection();
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each (re)connect, not on router identity
  useEffect(() => {
    if (everConnected) router.refresh();
  }, [everConnected, reconnects]);

  useSocketEvent("template:update", (e) => {
    const known = byIdRef.current.get(e.templateId);
    if (known && known.status !== e.status) {
      const why = e.status === "REJECTED" ? ` — ${rejectionText(e.reason ?? null)}` : "";
      toast.info(`Template "${known.name}" is now ${e.status}${why}`);
    } else if (!known && e.name && e.status !== "DELETED") {
      toast.info(`Template "${e.name}" is ${e.status}`);
    }
    router.refresh();
  });

  const sync = () =>
    startSync(async () => {
      const r = await actions.sync();
      if (!r.ok) {
        toast.error(r.error.message);
        return;
      }
      const failed = r.data.wabas.filter((w) => !w.ok);
      const total = r.data.wabas.reduce(
        (acc, w) => ({
          imported: acc.imported + w.imported,
          updated: acc.updated + w.updated,
          removed: acc.removed + w.removed,
        }),
        { imported: 0, updated: 0, removed: 0 },
      );
      if (failed.length > 0)
        toast.error(`Sync failed for ${failed.map((w) => `${w.wabaId}: ${w.error}`).join("; ")}`);
      else
        toast.success(
          `Synced with WhatsApp: ${total.imported} imported, ${total.updated} updated, ${total.removed} removed.`,
        );
      router.refresh();
    });

  const q = query.trim().toLowerCase();

  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-center gap-3">
        <div className="relative w-full max-w-xs">
          <SearchIcon className="absolute top-2.5 left-2.5 size-4 text-muted-foreground" />
          <Input
            aria-label="Search templates"
            placeholder="Search by name"
            className="pl-8"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        {canEdit && (
          <div className="ml-auto flex gap-2">
            <Button variant="outline" onClick={sync} disabled={syncing}>
              <RefreshCwIcon className={syncing ? "animate-spin" : undefined} />{" "}
              {syncing ? "Syncing…" : "Sync now"}
            </Button>
            <Button asChild>
              <Link href="/admin/templates/new">
                <PlusIcon /> New template
              </Link>
            </Button>
          </div>
        )}
      </div>

      {groups.length === 0 && (
        <p className="text-sm text-muted-foreground">No WhatsApp accounts yet: add an inbox first.</p>
      )}

      {groups.map((g) => {
        const rows = g.templates.filter((t) => !q || t.name.includes(q));
        return (
          <section key={g.wabaId} aria-labelledby={`waba-${g.wabaId}`} className="grid gap-2">
            <h2 id={`waba-${g.wabaId}`} className="text-base font-semibold">
              WhatsApp account {g.wabaId}
              <span className="ml-2 text-sm font-normal text-muted-foreground">
                {g.inboxes.map((i) => `${i.name} (+${i.displayNumber.replace(/^\+/, "")})`).join(", ") ||
                  "no inbox"}
              </span>
            </h2>
            <div className="overflow-x-auto rounded-lg border">
              <table className="w-full text-sm">
                <thead className="bg-muted/50 text-left text-xs text-muted-foreground">
                  <tr>
                    <th className="px-3 py-2 font-medium">Name</th>
                    <th className="px-3 py-2 font-medium">Language</th>
                    <th className="px-3 py-2 font-medium">Category</th>
                    <th className="px-3 py-2 font-medium">Status</th>
                    <th className="px-3 py-2 font-medium">Quality</th>
                    <th className="px-3 py-2 font-medium">Last synced</th>
                    <th className="px-3 py-2 font-medium">Agents see it</th>
                    <th className="px-3 py-2 text-right font-medium">Sent this month</th>
                    <th className="px-3 py-2 text-right font-medium">Cost this month</th>
                    <th className="px-3 py-2">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.length === 0 && (
                    <tr>
                      <td colSpan={10} className="px-3 py-6 text-center text-muted-foreground">
                        {q ? "No template matches." : "No templates yet."}
                      </td>
                    </tr>
                  )}
                  {rows.map((t) => (
                    <TemplateRowView
                      key={t.id}
                      t={t}
                      canEdit={canEdit}
                      locale={locale}
                      now={now}
                      onPreview={() => setPreviewing(t)}
                      onDelete={() => setDeleting(t)}
                      setVisibility={actions.setVisibility}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}

      <Dialog open={previewing !== null} onOpenChange={(open) => !open && setPreviewing(null)}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>{previewing?.name}</DialogTitle>
            <DialogDescription>
              {previewing?.language} · {previewing?.category.toLowerCase()} · filled with its example values
            </DialogDescription>
          </DialogHeader>
          {previewing && <TemplatePreview rendered={previewing.preview} />}
        </DialogContent>
      </Dialog>

      <DeleteDialog template={deleting} onClose={() => setDeleting(null)} remove={actions.remove} />
    </div>
  );
}

function TemplateRowView({
  t,
  canEdit,
  locale,
  now,
  onPreview,
  onDelete,
  setVisibility,
}: {
  t: TemplateListItem;
  canEdit: boolean;
  locale: string;
  now: number;
  onPreview: () => void;
  onDelete: () => void;
  setVisibility: TemplateAdminActions["setVisibility"];
}) {
  const router = useRouter();
  const [visible, setVisible] = useState(t.visibleToAgents);
  const [saving, startSaving] = useTransition();
  useEffect(() => setVisible(t.visibleToAgents), [t.visibleToAgents]);
  const editable = (EDITABLE_STATUSES as readonly string[]).includes(t.status);

  const toggle = (next: boolean) => {
    setVisible(next);
    startSaving(async () => {
      const r = await setVisibility(t.id, next);
      if (!r.ok) {
        setVisible(!next);
        toast.error(r.error.message);
        return;
      }
      router.refresh();
    });
  };

  return (
    <tr className="border-t align-top" data-template={t.name}>
      <td className="px-3 py-2 font-medium">
        <button type="button" className="text-left hover:underline" onClick={onPreview}>
          {t.name}
        </button>
      </td>
      <td className="px-3 py-2">{t.language}</td>
      <td className="px-3 py-2 capitalize">{t.category.toLowerCase()}</td>
      <td className="px-3 py-2">
        <Badge variant={STATUS_VARIANT[t.status] ?? "outline"} aria-label={`Status: ${t.status}`}>
          {t.status}
        </Badge>
        {t.status === "REJECTED" && (
          <p className="mt-1 max-w-56 text-xs text-destructive">{rejectionText(t.rejectedReason)}</p>
        )}
        {(t.status === "PAUSED" || t.status === "DISABLED") && t.rejectedReason && (
          <p className="mt-1 max-w-56 text-xs text-muted-foreground">{t.rejectedReason}</p>
        )}
      </td>
      <td className="px-3 py-2">
        {t.qualityRating ? (QUALITY_TEXT[t.qualityRating] ?? t.qualityRating) : "—"}
      </td>
      <td className="px-3 py-2 whitespace-nowrap" title={t.lastSyncedAt ?? undefined}>
        {relative(t.lastSyncedAt, now, locale)}
      </td>
      <td className="px-3 py-2">
        <div className="flex items-center gap-2">
          <Switch
            checked={visible}
            disabled={!canEdit || saving}
            onCheckedChange={toggle}
            aria-label={`Visible to agents: ${t.name}`}
          />
          {t.status !== "APPROVED" && visible && (
            <span className="text-xs text-muted-foreground">once approved</span>
          )}
        </div>
      </td>
      <td className="px-3 py-2 text-right tabular-nums">{t.sentThisMonth}</td>
      <td className="px-3 py-2 text-right tabular-nums">
        {formatMicros(t.costMicrosThisMonth, t.currency, locale)}
      </td>
      <td className="px-3 py-2">
        <div className="flex justify-end gap-1">
          <Button variant="ghost" size="icon-sm" onClick={onPreview} aria-label={`Preview ${t.name}`}>
            <EyeIcon />
          </Button>
          {canEdit && editable && (
            <Button variant="ghost" size="icon-sm" asChild>
              <Link href={`/admin/templates/${t.id}/edit`} aria-label={`Edit ${t.name}`}>
                <PencilIcon />
              </Link>
            </Button>
          )}
          {canEdit && (
            <Button variant="ghost" size="icon-sm" onClick={onDelete} aria-label={`Delete ${t.name}`}>
              <Trash2Icon />
            </Button>
          )}
        </div>
      </td>
    </tr>
  );
}

function DeleteDialog({
  template,
  onClose,
  remove,
}: {
  template: TemplateListItem | null;
  onClose: () => void;
  remove: TemplateAdminActions["remove"];
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const confirm = () =>
    start(async () => {
      if (!template) return;
      const r = await remove(template.id);
      if (!r.ok) {
        toast.error(r.error.message);
        return;
      }
      toast.success(`"${template.name}" was deleted.`);
      onClose();
      router.refresh();
    });
  return (
    <Dialog open={template !== null} onOpenChange={(open) => !open && !pending && onClose()}>
      <DialogContent role="alertdialog">
        <DialogHeader>
          <DialogTitle>Delete “{template?.name}”?</DialogTitle>
          <DialogDescription>
            WhatsApp deletes it for every inbox of this account, and agents can no longer send it. The name “
            {template?.name}” cannot be reused for 30 days.
          </DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button variant="outline" onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button variant="destructive" onClick={confirm} disabled={pending}>
            {pending ? "Deleting…" : "Delete template"}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
