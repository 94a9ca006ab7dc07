// English, German and French: the language from the browser's (Accept-Language) unless the
// user picked one; the pick is remembered in this browser.
import { en } from "./messages/en";
import { de } from "./messages/de";
import { fr } from "./messages/fr";

export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, string>;
export const languages = { en, de, fr } as const;
export type Language = keyof typeof languages;

const stored = () => {
  try {
    return localStorage.getItem("concord.language");
  } catch {
    return null;
  }
};

export function initialLanguage(): Language {
  const pick = stored();
  if (pick && pick in languages) return pick as Language;
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split("-")[0];
    if (base in languages) return base as Language;
  }
  return "en";
}

let current: Language = "en";

export function setLanguage(l: Language, remember: boolean) {
  current = l;
  document.documentElement.lang = l;
  if (remember) {
    try {
      localStorage.setItem("concord.language", l);
    } catch {
      /* private mode: not remembered */
    }
  }
}

export function language(): Language {
  return current;
}

// The message in the current language, with {name} placeholders filled in (as text: Preact
// escapes whatever it renders).
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  const text = languages[current][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) =>
    name in values ? String(values[name]) : "{" + name + "}",
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d.getTime())
    ? iso
    : d.toLocaleString(current, { dateStyle: "medium", timeStyle: "short" });
}
