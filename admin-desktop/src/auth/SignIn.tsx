/** The sign-in form; also shown over the open screens when the session ended. */
import { useRef, useState, type FormEvent } from "react";
import { Field } from "../ui/Dialog";
import { loadPrefs, savePrefs } from "./prefs";
import { SignInError, signIn } from "./session";

export function SignInForm(props: { lockedServer?: string; lockedEmail?: string; onSignedIn?: () => void }) {
  const prefs = loadPrefs();
  const [server, setServer] = useState(props.lockedServer ?? prefs.server);
  const [email, setEmail] = useState(props.lockedEmail ?? prefs.email);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!email.trim() || !password) {
      setError("Enter your email and password.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(server, email, password);
      savePrefs({ server: server.trim().replace(/\/+$/, ""), email: email.trim() });
      props.onSignedIn?.();
    } catch (err) {
      setError(err instanceof SignInError ? err.message : "Signing in failed. Try again.");
      setPassword("");
      passwordRef.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="signin" onSubmit={onSubmit} noValidate aria-label="Sign in">
      <Field label="Server">
        <input
          name="server"
          value={server}
          onChange={(e) => setServer(e.target.value)}
          disabled={Boolean(props.lockedServer)}
          autoComplete="url"
        />
      </Field>
      <Field label="Email">
        <input
          name="email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoComplete="username"
          data-autofocus={!email || undefined}
        />
      </Field>
      <Field label="Password">
        <input
          ref={passwordRef}
          name="password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
        />
      </Field>
      {error ? (
        <p className="form-error" role="alert" aria-live="assertive" data-testid="signin-error">
          {error}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
