"use client";

import { AlarmClockIcon, CheckIcon, RotateCcwIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { formatClock } from "@/lib/ui-format/money";
import { useI18n } from "./i18n-context";
import { nowMs } from "./use-now";

type Props = {
  status: string;
  snoozedUntil: string | null;
  busy: boolean;
  onChange: (status: "open" | "pending" | "resolved" | "snoozed", snoozedUntil?: string) => void;
};

function tomorrowAt9(now: number): Date {
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(9, 0, 0, 0);
  return d;
}

/** Resolve / reopen, mark pending, snooze until a time. */
export function StatusControls({ status, snoozedUntil, busy, onChange }: Props) {
  const { t, locale, timeZone } = useI18n();
  return (
    <fieldset aria-label={t("statusCtl.label")} className="flex flex-wrap items-center gap-2">
      {status === "resolved" || status === "snoozed" ? (
        <Button size="sm" variant="outline" disabled={busy} onClick={() => onChange("open")}>
          <RotateCcwIcon />
          {t("statusCtl.reopen")}
        </Button>
      ) : (
        <Button size="sm" variant="outline" disabled={busy} onClick={() => onChange("resolved")}>
          <CheckIcon />
          {t("statusCtl.resolve")}
        </Button>
      )}
      {status !== "pending" && status !== "resolved" && (
        <Button size="sm" variant="ghost" disabled={busy} onClick={() => onChange("pending")}>
          {t("status.pending")}
        </Button>
      )}
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button size="sm" variant="ghost" disabled={busy}>
            <AlarmClockIcon />
            {t("statusCtl.snooze")}
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end">
          <DropdownMenuLabel>{t("statusCtl.snoozeUntil")}</DropdownMenuLabel>
          <DropdownMenuItem onSelect={() => onChange("snoozed", new Date(nowMs() + 3600_000).toISOString())}>
            {t("statusCtl.snooze1h")}
          </DropdownMenuItem>
          <DropdownMenuItem onSelect={() => onChange("snoozed", tomorrowAt9(nowMs()).toISOString())}>
            {t("statusCtl.snoozeTomorrow")}
          </DropdownMenuItem>
          <DropdownMenuItem
            onSelect={() => onChange("snoozed", new Date(nowMs() + 7 * 86400_000).toISOString())}
          >
            {t("statusCtl.snoozeWeek")}
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      {status === "snoozed" && snoozedUntil && (
        <span className="text-xs text-muted-foreground">
          {t("statusCtl.snoozedUntil", {
            time: formatClock(snoozedUntil, new Date(nowMs()), locale, timeZone),
          })}
        </span>
      )}
    </fieldset>
  );
}
