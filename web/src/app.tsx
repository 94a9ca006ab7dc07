// The shell: who is signed in, the navigation, the language switch, and the page the address
// names.
import { useEffect, useRef, useState } from "preact/hooks";
import { currentSession, Session, setSession, signOut } from "./api";
import { Language, language, languages, setLanguage, t } from "./i18n";
import { href, useRoute } from "./router";
import { SignIn } from "./pages/signin";
import { Directory } from "./pages/directory";
import { CommunityPage } from "./pages/community";
import { Settings } from "./pages/settings";
import { Admin } from "./pages/admin";
import { TrashPage } from "./pages/trash";
import { ErrorMessage } from "./ui";

export function App() {
  const [session, setSessionState] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [, setLang] = useState<Language>(language());
  const route = useRoute();
  const main = useRef<HTMLElement>(null);

  const signedOut = () => setSessionState(null);
  setSession(session ?? null, signedOut);

  useEffect(() => {
    currentSession().then(setSessionState, (e) => {
      setError(e);
      setSessionState(null);
    });
  }, []);
  // A new page: its heading gets the focus, so that keyboard and screen-reader users start
  // there.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [route.join("/"), session]);

  const switchLanguage = (l: Language) => {
    setLanguage(l, true);
    setLang(l);
  };

  if (session === undefined) return <p class="loading">{t("loading")}</p>;

  const page = () => {
    if (!session) return <SignIn onSignedIn={setSessionState} />;
    const [first, id, sub] = route;
    if (first === "communities" && id && sub === "settings")
      return <Settings uuid={id} session={session} />;
    if (first === "communities" && id) return <CommunityPage uuid={id} session={session} />;
    if (first === "admin") return <Admin session={session} tab={id} />;
    if (first === "trash") return <TrashPage />;
    return <Directory session={session} />;
  };

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        main.current?.focus();
      }}>
        {t("nav.skip")}
      </a>
      <header class="top">
        <a class="brand" href={href()}>
          Concord
        </a>
        <nav aria-label={t("nav.label")}>
          {session && <a href={href()}>{t("nav.communities")}</a>}
          {session && <a href={href("trash")}>{t("nav.trash")}</a>}
          {session?.user.admin && <a href={href("admin")}>{t("nav.admin")}</a>}
        </nav>
        <div class="tools">
          <label class="visually-hidden" for="language">
            {t("nav.language")}
          </label>
          <select
            id="language"
            value={language()}
            onChange={(e) => switchLanguage((e.target as HTMLSelectElement).value as Language)}
          >
            {Object.keys(languages).map((l) => (
              <option value={l} key={l}>
                {t(("language." + l) as "language.en")}
              </option>
            ))}
          </select>
          {session && (
            <>
              <span class="user">{session.user.displayName}</span>
              <button
                type="button"
                onClick={() =>
                  signOut().then(signedOut, (e) => {
                    setError(e);
                  })
                }
              >
                {t("nav.signOut")}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorMessage error={error} />
        {page()}
      </main>
    </>
  );
}
