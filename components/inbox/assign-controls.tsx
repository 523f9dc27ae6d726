"use client";

import { ChevronDownIcon, UserPlusIcon } from "lucide-react";
import { Avatar, AvatarFallback, initials } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { useI18n } from "./i18n-context";

type Props = {
  me: { id: string; role: string };
  assigneeId: string | null;
  assigneeName: string | null;
  assignees: { id: string; name: string }[];
  busy: boolean;
  onClaim: () => void;
  onAssign: (userId: string | null) => void;
  compact?: boolean;
};

/** "Assign to me" while nobody holds the thread; assign / transfer / unassign from a menu. */
export function AssignControls({
  me,
  assigneeId,
  assigneeName,
  assignees,
  busy,
  onClaim,
  onAssign,
  compact,
}: Props) {
  const { t } = useI18n();
  const mayReassign = me.role !== "agent" || assigneeId === null || assigneeId === me.id;
  return (
    <div className="flex flex-wrap items-center gap-2">
      {assigneeId ? (
        <span className="flex items-center gap-1.5 text-sm" data-testid="assignee">
          <Avatar className="size-6">
            <AvatarFallback className="text-[10px]">{initials(assigneeName)}</AvatarFallback>
          </Avatar>
          {t("list.assignedTo", {
            name: assigneeId === me.id ? `${assigneeName} (${t("conv.you")})` : (assigneeName ?? "?"),
          })}
        </span>
      ) : (
        !compact && <span className="text-sm text-muted-foreground">{t("list.unassigned")}</span>
      )}
      {assigneeId === null && (
        <Button size="sm" onClick={onClaim} disabled={busy}>
          <UserPlusIcon />
          {t("assign.toMe")}
        </Button>
      )}
      {mayReassign && (
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button size="sm" variant="outline" disabled={busy} aria-label={t("assign.to")}>
              {compact ? null : t("assign.to")}
              <ChevronDownIcon />
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end">
            <DropdownMenuLabel>{t("assign.assignee")}</DropdownMenuLabel>
            {assignees
              .filter((a) => a.id !== assigneeId)
              .map((a) => (
                <DropdownMenuItem key={a.id} onSelect={() => onAssign(a.id)}>
                  <Avatar className="size-5">
                    <AvatarFallback className="text-[9px]">{initials(a.name)}</AvatarFallback>
                  </Avatar>
                  {a.name}
                  {a.id === me.id ? ` (${t("conv.you")})` : ""}
                </DropdownMenuItem>
              ))}
            {assigneeId && (
              <>
                <DropdownMenuSeparator />
                <DropdownMenuItem variant="destructive" onSelect={() => onAssign(null)}>
                  {t("assign.unassign")}
                </DropdownMenuItem>
              </>
            )}
          </DropdownMenuContent>
        </DropdownMenu>
      )}
    </div>
  );
}
