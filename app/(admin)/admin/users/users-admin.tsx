"use client";

import { useRef, useTransition } from "react";
import { useI18n } from "@/components/inbox/i18n-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { toast } from "@/components/ui/toast";
import type { ActionResult } from "@/lib/action-result";
import { ROLES } from "@/lib/domain";
import type { PublicUser } from "@/lib/services/users";
import { createUserAction, setMembershipAction, setUserActiveAction, setUserRoleAction } from "./actions";

type Props = {
  meId: string;
  users: (PublicUser & { inboxIds: string[] })[];
  inboxes: { id: string; name: string; displayNumber: string }[];
};

const selectClass =
  "h-9 rounded-md border border-input bg-transparent px-2 text-sm shadow-xs outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50";

export function UsersAdmin({ meId, users, inboxes }: Props) {
  const { t } = useI18n();
  const [pending, start] = useTransition();
  const form = useRef<HTMLFormElement>(null);

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
    <div className="flex flex-col gap-6">
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>{t("admin.newUser")}</h2>
          </CardTitle>
        </CardHeader>
        <CardContent>
          <form
            ref={form}
            action={(fd) => run(createUserAction(fd), () => form.current?.reset())}
            className="grid gap-3 md:grid-cols-3"
          >
            <div className="flex flex-col gap-1.5">
              <Label htmlFor="new-name">{t("admin.name")}</Label>
              <Input id="new-name" name="name" required />
            </div>
            <div className="flex flex-col gap-1.5">
              <Label htmlFor="new-email">{t("admin.email")}</Label>
              <Input id="new-email" name="email" type="email" required />
            </div>
            <div className="flex flex-col gap-1.5">
              <Label htmlFor="new-password">{t("admin.password")}</Label>
              <Input
                id="new-password"
                name="password"
                type="password"
                minLength={8}
                required
                autoComplete="new-password"
              />
            </div>
            <div className="flex flex-col gap-1.5">
              <Label htmlFor="new-role">{t("admin.role")}</Label>
              <select id="new-role" name="role" defaultValue="agent" className={selectClass}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t(`role.${r}`)}
                  </option>
                ))}
              </select>
            </div>
            <div className="flex flex-col gap-1.5">
              <Label htmlFor="new-locale">{t("admin.locale")}</Label>
              <select id="new-locale" name="locale" defaultValue="en" className={selectClass}>
                <option value="en">English</option>
                <option value="pt-BR">Português (Brasil)</option>
              </select>
            </div>
            <fieldset className="flex flex-col gap-1.5">
              <legend className="mb-1.5 text-sm font-medium">{t("admin.inboxes")}</legend>
              <div className="flex flex-wrap gap-3">
                {inboxes.map((i) => (
                  <label key={i.id} className="flex items-center gap-1.5 text-sm">
                    <input type="checkbox" name="inboxIds" value={i.id} />
                    {i.name}
                  </label>
                ))}
              </div>
            </fieldset>
            <div className="md:col-span-3">
              <Button type="submit" disabled={pending}>
                {t("admin.create")}
              </Button>
            </div>
          </form>
        </CardContent>
      </Card>

      <div className="overflow-x-auto rounded-lg border">
        <table className="w-full text-sm">
          <thead className="bg-muted/50 text-left text-xs text-muted-foreground">
            <tr>
              <th className="px-3 py-2">{t("admin.name")}</th>
              <th className="px-3 py-2">{t("admin.role")}</th>
              <th className="px-3 py-2">{t("admin.inboxes")}</th>
              <th className="px-3 py-2">{t("admin.active")}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-user={u.email} className="border-t align-top">
                <td className="px-3 py-2">
                  <div className="font-medium">{u.name}</div>
                  <div className="text-xs text-muted-foreground">{u.email}</div>
                </td>
                <td className="px-3 py-2">
                  <select
                    aria-label={`${t("admin.role")}: ${u.email}`}
                    value={u.role}
                    disabled={pending || u.id === meId}
                    onChange={(e) => run(setUserRoleAction(u.id, e.target.value))}
                    className={selectClass}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(`role.${r}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="px-3 py-2">
                  {u.role === "agent" ? (
                    <div className="flex flex-wrap gap-3">
                      {inboxes.map((i) => (
                        <label key={i.id} className="flex items-center gap-1.5">
                          <input
                            type="checkbox"
                            aria-label={`${t("admin.membership", { inbox: i.name })}: ${u.email}`}
                            checked={u.inboxIds.includes(i.id)}
                            disabled={pending}
                            onChange={(e) => run(setMembershipAction(u.id, i.id, e.target.checked))}
                          />
                          {i.name}
                        </label>
                      ))}
                    </div>
                  ) : (
                    <span className="text-xs text-muted-foreground">{t("admin.allInboxes")}</span>
                  )}
                </td>
                <td className="px-3 py-2">
                  <div className="flex items-center gap-2">
                    <Badge variant={u.active ? "success" : "muted"}>
                      {u.active ? t("admin.active") : t("admin.inactive")}
                    </Badge>
                    {u.id !== meId && (
                      <Button
                        size="sm"
                        variant={u.active ? "outline" : "secondary"}
                        disabled={pending}
                        onClick={() => run(setUserActiveAction(u.id, !u.active))}
                      >
                        {u.active ? t("admin.deactivate") : t("admin.activate")}
                      </Button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
