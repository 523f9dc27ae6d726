import { Badge } from "@/components/ui/badge";
import type { CampaignStatus } from "@/lib/services/campaigns";

const LOOK: Record<
  CampaignStatus,
  { label: string; variant: "default" | "secondary" | "warning" | "success" | "muted" | "outline" }
> = {
  draft: { label: "Draft", variant: "outline" },
  scheduled: { label: "Scheduled", variant: "secondary" },
  running: { label: "Sending", variant: "default" },
  paused: { label: "Paused", variant: "warning" },
  completed: { label: "Completed", variant: "success" },
  cancelled: { label: "Cancelled", variant: "muted" },
};

export function CampaignStatusBadge({ status }: { status: CampaignStatus }) {
  const look = LOOK[status] ?? { label: status, variant: "outline" as const };
  return <Badge variant={look.variant}>{look.label}</Badge>;
}
