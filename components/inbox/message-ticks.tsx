"use client";

import { CheckCheckIcon, CheckIcon, CircleAlertIcon, ClockIcon } from "lucide-react";
import { cn } from "@/lib/utils";
import { useI18n } from "./i18n-context";

/**
 * Delivery ticks of an outbound message: clock (sending), ✓ sent, ✓✓ delivered,
 * blue ✓✓ read, and failures with Meta's reason in words.
 */
export function MessageTicks({
  status,
  errorText,
  errorCode,
}: {
  status: string;
  errorText: string | null;
  errorCode: number | null;
}) {
  const { t } = useI18n();
  if (status === "failed") {
    const reason = errorText ?? (errorCode ? `error ${errorCode}` : t("errors.generic"));
    return (
      <span
        role="img"
        aria-label={t("tick.failed")}
        data-status="failed"
        className="inline-flex items-center gap-1 text-destructive"
      >
        <CircleAlertIcon className="size-3.5" />
        <span className="text-xs">{t("tick.failedReason", { reason })}</span>
      </span>
    );
  }
  const map = {
    pending: { Icon: ClockIcon, label: t("tick.pending"), cls: "text-muted-foreground" },
    sent: { Icon: CheckIcon, label: t("tick.sent"), cls: "text-muted-foreground" },
    delivered: { Icon: CheckCheckIcon, label: t("tick.delivered"), cls: "text-muted-foreground" },
    read: { Icon: CheckCheckIcon, label: t("tick.read"), cls: "text-sky-500" },
  } as const;
  const m = map[status as keyof typeof map];
  if (!m) return null;
  return (
    <span
      role="img"
      aria-label={m.label}
      title={m.label}
      data-status={status}
      className={cn("inline-flex", m.cls)}
    >
      <m.Icon className="size-3.5" />
    </span>
  );
}
