"use client";

import { useRef, useTransition } from "react";
import { useI18n } from "@/components/inbox/i18n-context";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import type { ActionResult } from "@/lib/action-result";
import type { CannedResponse } from "@/lib/services/canned-responses";
import { createCannedAction, deleteCannedAction, updateCannedAction } from "./actions";

export function CannedAdmin({ items }: { items: CannedResponse[] }) {
  const { t } = useI18n();
  const [pending, start] = useTransition();
  const createForm = useRef<HTMLFormElement>(null);

  function run(p: Promise<ActionResult<unknown>>, onOk?: () => void) {
    start(async () => {
      const r = await p;
      if (r.ok) {
        toast.success(t("admin.saved"));
        onOk?.();
      } else toast.error(r.error.message);
    });
  }

  return (
    <div className="flex flex-col gap-4">
      <form
        ref={createForm}
        action={(fd) => run(createCannedAction(fd), () => createForm.current?.reset())}
        className="grid gap-3 rounded-lg border p-4 md:grid-cols-[12rem_1fr_auto] md:items-end"
      >
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="new-shortcut">{t("admin.shortcut")}</Label>
          <Input
            id="new-shortcut"
            name="shortcut"
            required
            placeholder="greet"
            pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,31}"
          />
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="new-body">{t("admin.body")}</Label>
          <Textarea id="new-body" name="body" required rows={2} />
        </div>
        <Button type="submit" disabled={pending}>
          {t("admin.add")}
        </Button>
      </form>
      <ul className="flex flex-col gap-2">
        {items.map((c) => (
          <li key={c.id} className="rounded-lg border p-3">
            <form
              action={(fd) => run(updateCannedAction(c.id, fd))}
              className="grid gap-2 md:grid-cols-[12rem_1fr_auto_auto] md:items-start"
            >
              <Input
                name="shortcut"
                defaultValue={c.shortcut}
                aria-label={`${t("admin.shortcut")}: /${c.shortcut}`}
              />
              <Textarea
                name="body"
                defaultValue={c.body}
                rows={2}
                aria-label={`${t("admin.body")}: /${c.shortcut}`}
              />
              <Button type="submit" variant="outline" disabled={pending}>
                {t("admin.save")}
              </Button>
              <Button
                type="button"
                variant="ghost"
                disabled={pending}
                onClick={() => run(deleteCannedAction(c.id))}
              >
                {t("admin.delete")}
              </Button>
            </form>
          </li>
        ))}
      </ul>
    </div>
  );
}
