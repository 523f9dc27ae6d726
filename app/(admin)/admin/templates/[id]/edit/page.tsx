import Link from "next/link";
import { notFound } from "next/navigation";
import { TemplateEditor } from "@/components/templates/template-editor";
import { getDb } from "@/db/client";
import { isAppError } from "@/lib/errors";
import { getTemplateForAdmin } from "@/lib/services/templates";
import { requirePageUser } from "@/lib/session";
import { EDITABLE_STATUSES } from "@/lib/templates/validate";
import { editTemplateAction } from "../../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Edit template · WhatsApp Helpdesk" };

export default async function EditTemplatePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePageUser(["admin"]);
  const { id } = await params;
  const found = await getTemplateForAdmin(getDb(), user, id).catch((err) => {
    if (isAppError(err) && err.code === "not_found") return null;
    throw err;
  });
  if (!found) notFound();
  const { template: t, draft } = found;
  const editable = (EDITABLE_STATUSES as readonly string[]).includes(t.status);
  return (
    <main className="mx-auto grid max-w-6xl gap-6 p-4 md:p-8">
      <header className="grid gap-1">
        <Link href="/admin/templates" className="w-fit text-sm text-muted-foreground hover:underline">
          ← Message templates
        </Link>
        <h1 className="text-2xl font-semibold">Edit “{t.name}”</h1>
        <p className="text-sm text-muted-foreground">
          {editable
            ? "Saving sends it back to WhatsApp for review: agents cannot send it until it is approved again. An approved template can be edited once a day, 10 times a month."
            : `This template is ${t.status}: WhatsApp only allows editing approved, rejected or paused templates.`}
        </p>
      </header>
      <TemplateEditor
        mode="edit"
        wabas={[{ wabaId: t.wabaId, label: `Account ${t.wabaId}` }]}
        initialWabaId={t.wabaId}
        initialDraft={draft}
        original={{ name: t.name, language: t.language, category: t.category, status: t.status }}
        edit={editTemplateAction.bind(null, t.id)}
      />
    </main>
  );
}
