"use client";

import { ExternalLinkIcon, MegaphoneIcon } from "lucide-react";
import { Avatar, AvatarFallback, initials } from "@/components/ui/avatar";
import { Badge } from "@/components/ui/badge";
import { Separator } from "@/components/ui/separator";
import type { ThreadView } from "@/lib/services/inbox-view";
import { formatExact, formatMicros } from "@/lib/ui-format/money";
import { AssignControls } from "./assign-controls";
import { useI18n } from "./i18n-context";
import { StatusControls } from "./status-controls";
import { useNow } from "./use-now";

type Props = {
  view: ThreadView;
  me: { id: string; role: string };
  busy: boolean;
  onClaim: () => void;
  onAssign: (userId: string | null) => void;
  onStatus: (status: "open" | "pending" | "resolved" | "snoozed", snoozedUntil?: string) => void;
};

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="flex flex-col gap-2">
      <h3 className="text-xs font-semibold tracking-wide text-muted-foreground uppercase">{title}</h3>
      {children}
    </section>
  );
}

function str(v: unknown): string | null {
  return typeof v === "string" && v ? v : null;
}

/** Contact, entry point, exact window expiries, open billing conversations, assignment and status. */
export function DetailsPane({ view, me, busy, onClaim, onAssign, onStatus }: Props) {
  const { t, locale, timeZone } = useI18n();
  const now = useNow();
  const { thread, windows } = view;
  const csw = thread.cswExpiresAt ?? windows.csw.expiresAt;
  const cswOpen = csw ? Date.parse(csw) > now : false;
  const fep = thread.fepExpiresAt ?? windows.fep.expiresAt;
  const fepOpen = fep ? Date.parse(fep) > now : false;
  const referral = thread.referral;
  const openConvs = windows.conversations.filter((c) => Date.parse(c.expiresAt) > now);
  return (
    <div className="flex flex-col gap-5 p-4 text-sm">
      <Section title={t("details.contact")}>
        <div className="flex items-center gap-3">
          <Avatar className="size-10">
            <AvatarFallback>{initials(thread.contactName ?? thread.waId)}</AvatarFallback>
          </Avatar>
          <div className="min-w-0">
            <p className="truncate font-medium">{thread.contactName ?? `+${thread.waId}`}</p>
            <p className="text-muted-foreground">
              <span className="sr-only">{t("details.number")}: </span>+{thread.waId}
            </p>
          </div>
        </div>
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
          <dt className="text-muted-foreground">{t("details.inbox")}</dt>
          <dd>{thread.inboxName}</dd>
          {thread.contactLabels.length > 0 && (
            <>
              <dt className="text-muted-foreground">{t("details.labels")}</dt>
              <dd className="flex flex-wrap gap-1">
                {thread.contactLabels.map((l) => (
                  <Badge key={l} variant="secondary">
                    {l}
                  </Badge>
                ))}
              </dd>
            </>
          )}
        </dl>
        {thread.optedOutMarketing && <Badge variant="warning">{t("details.optedOut")}</Badge>}
      </Section>

      <Separator />
      <Section title={t("details.entryPoint")}>
        {referral ? (
          <div className="flex flex-col gap-1 rounded-md border p-2">
            <span className="flex items-center gap-1.5 font-medium">
              <MegaphoneIcon className="size-4 text-primary" />
              {t("details.fromAd")}
            </span>
            {str(referral.headline) && (
              <span>{t("details.adHeadline", { headline: str(referral.headline)! })}</span>
            )}
            {str(referral.body) && (
              <span className="text-xs text-muted-foreground">{str(referral.body)}</span>
            )}
            <span className="text-xs text-muted-foreground">
              {[str(referral.source_type), str(referral.source_id)].filter(Boolean).join(" · ")}
            </span>
            {str(referral.source_url) && (
              <a
                href={str(referral.source_url)!}
                target="_blank"
                rel="noreferrer"
                className="flex items-center gap-1 text-xs text-primary underline-offset-2 hover:underline"
              >
                {t("details.openAd")} <ExternalLinkIcon className="size-3" />
              </a>
            )}
          </div>
        ) : (
          <span className="text-muted-foreground">{t("details.directMessage")}</span>
        )}
      </Section>

      <Separator />
      <Section title={t("details.windows")}>
        <dl className="flex flex-col gap-2">
          <div>
            <dt className="font-medium">{t("details.csw")}</dt>
            <dd className={cswOpen ? "text-success" : "text-muted-foreground"}>
              {!csw
                ? t("details.cswNever")
                : cswOpen
                  ? t("details.cswOpenUntil", { time: formatExact(csw, locale, timeZone) })
                  : t("details.cswClosedAt", { time: formatExact(csw, locale, timeZone) })}
            </dd>
          </div>
          <div>
            <dt className="font-medium">{t("details.fep")}</dt>
            <dd className={fepOpen ? "text-primary" : "text-muted-foreground"}>
              {!fep
                ? t("details.fepNone")
                : fepOpen
                  ? t("details.fepOpenUntil", { time: formatExact(fep, locale, timeZone) })
                  : t("details.fepEnded", { time: formatExact(fep, locale, timeZone) })}
            </dd>
          </div>
        </dl>
      </Section>

      <Section title={t("details.billing")}>
        {openConvs.length === 0 ? (
          <p className="text-muted-foreground">{t("details.billingNone")}</p>
        ) : (
          <ul className="flex flex-col gap-1">
            {openConvs.map((c) => (
              <li key={c.id} className="rounded-md border px-2 py-1 text-xs">
                {t("details.billingRow", {
                  category: t(`category.${c.category}` as never),
                  time: formatExact(c.expiresAt, locale, timeZone),
                  cost: c.costMicros > 0 ? formatMicros(c.costMicros, c.currency, locale) : t("details.free"),
                })}
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Separator />
      <Section title={t("details.assignment")}>
        <AssignControls
          me={me}
          assigneeId={thread.assigneeId}
          assigneeName={thread.assigneeName}
          assignees={view.assignees}
          busy={busy}
          onClaim={onClaim}
          onAssign={onAssign}
          compact
        />
      </Section>
      <Section title={t("details.status")}>
        <StatusControls
          status={thread.status}
          snoozedUntil={thread.snoozedUntil}
          busy={busy}
          onChange={onStatus}
        />
      </Section>
    </div>
  );
}
