import { ArrowLeftIcon } from "lucide-react";
import Link from "next/link";
import { TemplatesAdmin, type WabaView } from "@/components/templates/templates-admin";
import { getDb } from "@/db/client";
import { listTemplatesForAdmin } from "@/lib/services/templates";
import { requirePageUser } from "@/lib/session";
import { renderPreview } from "@/lib/templates/render";
import type { StoredTemplateComponent } from "@/lib/whatsapp/template-params";
import { deleteTemplateAction, setTemplateVisibilityAction, syncTemplatesAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Message templates · WhatsApp Helpdesk" };

/** Admins manage templates; supervisors see the same list read-only; agents are sent to the inbox. */
export default async function TemplatesPage() {
  const user = await requirePageUser(["admin", "supervisor"]);
  const groups = await listTemplatesForAdmin(getDb(), user);
  const view: WabaView[] = groups.map((g) => ({
    wabaId: g.wabaId,
    inboxes: g.inboxes,
    templates: g.templates.map((t) => ({
      id: t.id,
      name: t.name,
      language: t.language,
      category: t.category,
      status: t.status,
      rejectedReason: t.rejectedReason,
      qualityRating: t.qualityRating,
      lastSyncedAt: t.lastSyncedAt?.toISOString() ?? null,
      visibleToAgents: t.visibleToAgents,
      sentThisMonth: t.sentThisMonth,
      costMicrosThisMonth: t.costMicrosThisMonth,
      currency: t.currency,
      preview: renderPreview(t.components as StoredTemplateComponent[]),
    })),
  }));
  return (
    <main className="mx-auto grid max-w-7xl gap-6 p-4 md:p-8">
      <header className="grid gap-1">
        <Link
          href="/inbox"
          className="flex w-fit items-center gap-1 text-sm text-muted-foreground hover:underline"
        >
          <ArrowLeftIcon className="size-4" /> Inbox
        </Link>
        <h1 className="text-2xl font-semibold">Message templates</h1>
        <p className="text-sm text-muted-foreground">
          {user.role === "admin"
            ? "Create templates, follow WhatsApp's review, and choose which approved ones agents can send."
            : "Read-only: only admins can change templates."}{" "}
          Sends and cost count this calendar month (UTC).
        </p>
      </header>
      <TemplatesAdmin
        groups={view}
        canEdit={user.role === "admin"}
        locale={user.locale}
        renderedAt={Date.now()}
        actions={{
          setVisibility: setTemplateVisibilityAction,
          remove: deleteTemplateAction,
          sync: syncTemplatesAction,
        }}
      />
    </main>
  );
}
