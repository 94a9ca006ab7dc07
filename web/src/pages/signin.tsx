// The sign-in form: the login and password are sent once (HTTP Basic to POST /api/session,
// throttled as every sign-in is), and the answer sets the session cookie.
import { useState } from "preact/hooks";
import { ApiError, Session, signIn } from "../api";
import { t } from "../i18n";
import { ErrorMessage, Field, useAction } from "../ui";

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    run(async () => {
      try {
        onSignedIn(await signIn(login, password));
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) throw new Error(t("signIn.wrong"));
        if (err instanceof ApiError && err.status === 429) throw new Error(t("signIn.throttled"));
        throw err;
      }
    });
  };
  return (
    <div class="narrow">
      <h1 tabIndex={-1}>{t("signIn.title")}</h1>
      <form onSubmit={submit} class="card">
        <Field label={t("signIn.login")} value={login} onInput={setLogin} required autocomplete="username" name="login" />
        <Field
          label={t("signIn.password")}
          value={password}
          onInput={setPassword}
          type="password"
          required
          autocomplete="current-password"
          name="password"
        />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {t("signIn.submit")}
        </button>
      </form>
    </div>
  );
}
