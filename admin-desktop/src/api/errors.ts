/**
 * Errors the UI can show in words. Nothing raw (JSON, stack traces) ever reaches the
 * screen: every failure is turned into one of these kinds with a sentence a person
 * understands.
 */
export type ApiErrorKind =
  | "network" // the server did not answer
  | "timeout"
  | "unauthenticated" // the session ended: sign in again
  | "forbidden"
  | "rate_limited"
  | "bad_input"
  | "server";

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly retryAfterSecs: number | null;

  constructor(kind: ApiErrorKind, message: string, retryAfterSecs: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.retryAfterSecs = retryAfterSecs;
  }
}

/** "in 2 minutes (at 14:05)" for a wait in seconds. */
export function describeWait(secs: number, now: Date = new Date()): string {
  const at = new Date(now.getTime() + secs * 1000);
  const clock = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (secs < 60) return `in ${secs} second${secs === 1 ? "" : "s"} (at ${clock})`;
  const mins = Math.ceil(secs / 60);
  return `in ${mins} minute${mins === 1 ? "" : "s"} (at ${clock})`;
}

/** The seconds in a server message such as "try again in 840 s". */
export function secondsInMessage(message: string): number | null {
  const m = /in (\d+) ?s\b/.exec(message);
  return m?.[1] ? Number(m[1]) : null;
}

/** Any thrown value as a sentence for the screen. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return "Something went wrong. Please try again.";
}

/** A typed user error as returned in mutation payloads. */
export interface UserErrorLike {
  code: string;
  field?: readonly string[] | null;
  message: string;
  currentVersion?: number | null;
}

/** Words for a user error code; the server's message is kept where it is specific. */
export function userErrorText(e: UserErrorLike): string {
  switch (e.code) {
    case "RATE_LIMITED": {
      const secs = secondsInMessage(e.message);
      return secs ? `Too many requests. Try again ${describeWait(secs)}.` : "Too many requests. Try again shortly.";
    }
    case "VERSION_CONFLICT":
      return "Someone changed this in the meantime.";
    case "GATEWAY_UNAVAILABLE":
      return "The payment provider did not answer. Nothing was changed; try again shortly.";
    case "FORBIDDEN":
      return "Your account is not allowed to do this.";
    case "UNAUTHENTICATED":
      return "Your session ended. Sign in again.";
    default:
      return capitalise(e.message);
  }
}

function capitalise(s: string): string {
  const t = s.trim();
  if (!t) return "The server refused this.";
  const c = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : `${c}.`;
}

/** The user error that belongs to `field` (the last path segment), if any. */
export function fieldError(errors: readonly UserErrorLike[], field: string): string | null {
  const e = errors.find((x) => x.field && x.field[x.field.length - 1] === field);
  return e ? userErrorText(e) : null;
}
