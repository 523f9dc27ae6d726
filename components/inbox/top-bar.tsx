"use client";

import {
  BellIcon,
  BellOffIcon,
  ChevronDownIcon,
  LanguagesIcon,
  LogOutIcon,
  MessageCircleIcon,
} from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import { setPreferencesAction, signOutAction } from "@/app/(inbox)/inbox/actions";
import { ThemeToggle } from "@/components/theme-toggle";
import { Avatar, AvatarFallback, initials } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { toast } from "@/components/ui/toast";
import { useI18n } from "./i18n-context";
import type { NavLink } from "./nav-links";
import { enableNotifications, notificationsPermission, notificationsWanted } from "./notifications";

/** App bar: navigation by role, who is online, notifications, theme, language and the account menu. */
export function TopBar({
  me,
  links,
  online,
}: {
  me: { id: string; name: string; email: string; role: string };
  links: NavLink[];
  online: { userId: string; name: string }[];
}) {
  const { t, locale } = useI18n();
  const router = useRouter();
  const [pending, start] = useTransition();
  const [notifyOn, setNotifyOn] = useState(false);
  useEffect(() => setNotifyOn(notificationsWanted() && notificationsPermission() === "granted"), []);

  async function toggleNotifications() {
    const on = await enableNotifications(!notifyOn);
    setNotifyOn(on);
    if (!notifyOn && !on) toast.error(t("nav.notificationsBlocked"));
  }

  function setLocale(next: string) {
    start(async () => {
      const r = await setPreferencesAction({ locale: next });
      if (!r.ok) toast.error(r.error.message);
      router.refresh();
    });
  }

  const others = online.filter((o) => o.userId !== me.id);
  return (
    <header className="flex h-12 shrink-0 items-center gap-3 border-b bg-card px-3">
      <Link href="/inbox" className="flex items-center gap-2 font-semibold text-primary">
        <MessageCircleIcon className="size-5" />
        <span className="hidden sm:inline">{t("app.name")}</span>
      </Link>
      <nav aria-label="Main" className="flex min-w-0 items-center gap-1 overflow-x-auto">
        {links
          .filter((l) => !l.group)
          .map((l) => (
            <Button key={l.href} asChild variant="ghost" size="sm">
              <Link href={l.href}>{l.label}</Link>
            </Button>
          ))}
        {links.some((l) => l.group === "admin") && (
          <DropdownMenu>
            <DropdownMenuTrigger asChild>
              <Button variant="ghost" size="sm">
                {t("nav.admin")}
                <ChevronDownIcon />
              </Button>
            </DropdownMenuTrigger>
            <DropdownMenuContent align="start">
              {links
                .filter((l) => l.group === "admin")
                .map((l) => (
                  <DropdownMenuItem key={l.href} asChild>
                    <Link href={l.href}>{l.label}</Link>
                  </DropdownMenuItem>
                ))}
            </DropdownMenuContent>
          </DropdownMenu>
        )}
      </nav>
      <div className="ml-auto flex items-center gap-1">
        {others.length > 0 && (
          <ul
            aria-label={t("nav.online", { names: others.map((o) => o.name).join(", ") })}
            className="mr-2 hidden -space-x-1.5 md:flex"
          >
            {others.slice(0, 5).map((o) => (
              <li key={o.userId} title={o.name}>
                <Avatar className="size-6 ring-2 ring-card">
                  <AvatarFallback className="bg-success/20 text-[9px]">{initials(o.name)}</AvatarFallback>
                </Avatar>
              </li>
            ))}
          </ul>
        )}
        <Button
          variant="ghost"
          size="icon-sm"
          aria-pressed={notifyOn}
          aria-label={notifyOn ? t("nav.notificationsOn") : t("nav.notificationsOff")}
          title={notifyOn ? t("nav.notificationsOn") : t("nav.notificationsOff")}
          onClick={() => void toggleNotifications()}
        >
          {notifyOn ? <BellIcon /> : <BellOffIcon />}
        </Button>
        <ThemeToggle
          labels={{
            theme: t("nav.theme"),
            light: t("nav.themeLight"),
            dark: t("nav.themeDark"),
            system: t("nav.themeSystem"),
          }}
        />
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button variant="ghost" size="icon-sm" aria-label={t("nav.language")} disabled={pending}>
              <LanguagesIcon />
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end">
            <DropdownMenuLabel>{t("nav.language")}</DropdownMenuLabel>
            <DropdownMenuRadioGroup value={locale} onValueChange={setLocale}>
              <DropdownMenuRadioItem value="en">English</DropdownMenuRadioItem>
              <DropdownMenuRadioItem value="pt-BR">Português (Brasil)</DropdownMenuRadioItem>
            </DropdownMenuRadioGroup>
          </DropdownMenuContent>
        </DropdownMenu>
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button variant="ghost" size="sm" aria-label={t("nav.userMenu")} className="gap-2">
              <Avatar className="size-6">
                <AvatarFallback className="text-[10px]">{initials(me.name)}</AvatarFallback>
              </Avatar>
              <span className="hidden text-sm md:inline">{me.name}</span>
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end">
            <DropdownMenuLabel>
              {me.email} · {t(`role.${me.role}` as never)}
            </DropdownMenuLabel>
            <DropdownMenuSeparator />
            <DropdownMenuItem onSelect={() => void signOutAction()}>
              <LogOutIcon />
              {t("nav.signOut")}
            </DropdownMenuItem>
          </DropdownMenuContent>
        </DropdownMenu>
      </div>
    </header>
  );
}
