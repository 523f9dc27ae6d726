"use client";

import { createContext, useContext, useMemo } from "react";
import type { Dictionary } from "@/lib/i18n/en";
import { type Translate, translator } from "@/lib/i18n/translate";

type I18n = { t: Translate; locale: string; timeZone: string | undefined };

const I18nContext = createContext<I18n | null>(null);

/** The signed-in user's language and time zone for every client component below. */
export function I18nProvider({
  dict,
  locale,
  timeZone,
  children,
}: {
  dict: Dictionary;
  locale: string;
  timeZone: string | null | undefined;
  children: React.ReactNode;
}) {
  const value = useMemo(
    () => ({ t: translator(dict), locale, timeZone: timeZone ?? undefined }),
    [dict, locale, timeZone],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}
