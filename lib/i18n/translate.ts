import { type Dictionary, en, type MessageKey } from "./en";
import { ptBR } from "./pt-br";

export const SUPPORTED_LOCALES = ["en", "pt-BR"] as const;
export type AppLocale = (typeof SUPPORTED_LOCALES)[number];

const dictionaries: Record<AppLocale, Dictionary> = { en, "pt-BR": ptBR };

/** A user's stored locale, or English when it is missing or unknown. */
export function normalizeLocale(locale: string | null | undefined): AppLocale {
  if (locale && (SUPPORTED_LOCALES as readonly string[]).includes(locale)) return locale as AppLocale;
  if (locale?.toLowerCase().startsWith("pt")) return "pt-BR";
  return "en";
}

export function getDictionary(locale: string | null | undefined): Dictionary {
  return dictionaries[normalizeLocale(locale)];
}

export type Vars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

/** Fills `{name}` placeholders; unknown placeholders stay visible rather than vanish. */
export function interpolate(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export function translator(dict: Dictionary): Translate {
  return (key, vars) => interpolate(dict[key] ?? en[key] ?? key, vars);
}
