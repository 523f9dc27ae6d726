"use client";

import { memo } from "react";
import { Badge } from "@/components/ui/badge";
import { cswLabel, fepLabel } from "@/lib/ui-format/countdown";
import { cn } from "@/lib/utils";
import { useI18n } from "./i18n-context";
import { useNow } from "./use-now";

/**
 * The live window label of a thread: CSW countdown (`23h 12m left`, `closes in
 * 18m` in the warning colour, `window closed`) plus `FEP 71h left` while a free
 * entry point is open. Re-renders with the shared one-second clock.
 */
export const WindowLabel = memo(function WindowLabel({
  cswExpiresAt,
  fepExpiresAt,
  className,
}: {
  cswExpiresAt: string | null;
  fepExpiresAt: string | null;
  className?: string;
}) {
  const now = useNow();
  const { t } = useI18n();
  const csw = cswLabel(cswExpiresAt, now, t);
  const fep = fepLabel(fepExpiresAt, now, t);
  return (
    <span className={cn("inline-flex flex-wrap items-center gap-1", className)}>
      <Badge
        data-window-tone={csw.tone}
        variant={csw.tone === "open" ? "success" : csw.tone === "warning" ? "warning" : "muted"}
        className="font-mono tabular-nums"
      >
        {csw.text}
      </Badge>
      {fep && (
        <Badge variant="outline" className="border-primary/40 font-mono text-primary tabular-nums">
          {fep}
        </Badge>
      )}
    </span>
  );
});
