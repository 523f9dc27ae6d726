import { ArrowLeftIcon } from "lucide-react";
import Link from "next/link";

/** The frame of the campaign pages: a way back to the inbox, a title and a line of context. */
export function CampaignsShell({
  title,
  description,
  back = { href: "/inbox", label: "Inbox" },
  actions,
  children,
}: {
  title?: string;
  description?: string;
  back?: { href: string; label: string };
  actions?: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <main className="mx-auto grid max-w-7xl gap-6 p-4 md:p-8">
      <header className="grid gap-1">
        <Link
          href={back.href}
          className="flex w-fit items-center gap-1 text-sm text-muted-foreground hover:underline"
        >
          <ArrowLeftIcon className="size-4" /> {back.label}
        </Link>
        {title && (
          <div className="flex flex-wrap items-center justify-between gap-3">
            <h1 className="text-2xl font-semibold">{title}</h1>
            {actions}
          </div>
        )}
        {description && <p className="text-sm text-muted-foreground">{description}</p>}
      </header>
      {children}
    </main>
  );
}
