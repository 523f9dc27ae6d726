import Link from "next/link";
import { TemplateEditor } from "@/components/templates/template-editor";
import { getDb } from "@/db/client";
import { listTemplatesForAdmin } from "@/lib/services/templates";
import { requirePageUser } from "@/lib/session";
import { emptyDraft } from "@/lib/templates/draft";
import { createTemplateAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "New template · WhatsApp Helpdesk" };

export default async function NewTemplatePage() {
  const user = await requirePageUser(["admin"]);
  const groups = await listTemplatesForAdmin(getDb(), user);
  const wabas = groups
    .filter((g) => g.inboxes.length > 0)
    .map((g) => ({
      wabaId: g.wabaId,
      label: `${g.inboxes.map((i) => i.name).join(", ")} — account ${g.wabaId}`,
    }));
  return (
    <main className="mx-auto grid max-w-6xl gap-6 p-4 md:p-8">
      <header className="grid gap-1">
        <Link href="/admin/templates" className="w-fit text-sm text-muted-foreground hover:underline">
          ← Message templates
        </Link>
        <h1 className="text-2xl font-semibold">New template</h1>
        <p className="text-sm text-muted-foreground">
          WhatsApp reviews every template before it can be sent (usually within minutes). Its status updates
          here live.
        </p>
      </header>
      {wabas.length === 0 ? (
        <p className="text-sm text-muted-foreground">Add an inbox (a WhatsApp number) first.</p>
      ) : (
        <TemplateEditor
          mode="create"
          wabas={wabas}
          initialWabaId={wabas[0].wabaId}
          initialDraft={emptyDraft(user.locale.toLowerCase().startsWith("pt") ? "pt_BR" : "en_US")}
          create={createTemplateAction}
        />
      )}
    </main>
  );
}
