/**
 * Turns what the API reports into words for shoppers. Expected failures arrive as
 * `userErrors { code field message }` (mutations) or checkout `problems`; unexpected
 * ones as top-level GraphQL errors or network failures. Nothing raw reaches the screen.
 */
import type { CombinedError } from '@urql/core';
import type { UserErrorCode } from '../gql/graphql';

export interface UserErrorLike {
  code: UserErrorCode;
  field?: readonly string[] | null;
  message: string;
}

const FALLBACK: Partial<Record<UserErrorCode, string>> = {
  VERSION_CONFLICT: 'Your cart was changed in another tab or window. We refreshed it: please check it and try again.',
  OUT_OF_STOCK: 'Not enough stock left for that.',
  RATE_LIMITED: 'Too many attempts in a short time. Please wait a moment and try again.',
  GATEWAY_UNAVAILABLE: 'The payment service could not be reached. Nothing was charged; please try again shortly.',
  CONFLICT: 'Something changed at the same moment. Please try again.',
  IDEMPOTENCY_KEY_REUSED: 'This checkout was already used for another cart. Please review your cart again.',
  UNAUTHENTICATED: 'Please sign in again.',
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_FOUND: 'That no longer exists.',
  INVALID_CREDENTIALS: 'Wrong email or password.',
};

/**
 * The message to show for a user error. The server's message is written for people
 * (it says e.g. how many units are left), so it is preferred; a few codes get
 * wording that tells the shopper what happened and what to do.
 */
export function userErrorMessage(e: UserErrorLike): string {
  if (e.code === 'VERSION_CONFLICT') return FALLBACK.VERSION_CONFLICT as string;
  if (e.message.trim() !== '') return e.message;
  return FALLBACK[e.code] ?? 'That did not work. Please try again.';
}

/**
 * The last segment of a field path, the same for user errors and checkout problems
 * (`["input","email"]` -> `email`, `["shippingAddress","city"]` -> `city`).
 */
export function fieldKey(field: readonly string[] | null | undefined): string | null {
  if (!field || field.length === 0) return null;
  return field[field.length - 1] ?? null;
}

/** Groups errors by field for forms; errors without a field go under `_form`. */
export function errorsByField(errors: readonly UserErrorLike[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    const k = fieldKey(e.field) ?? '_form';
    if (!(k in out)) out[k] = userErrorMessage(e);
  }
  return out;
}


/** Words for a failed request (network down, rate limited, server error). */
export function requestErrorMessage(error: CombinedError | undefined | null): string | null {
  if (!error) return null;
  if (error.networkError) {
    return 'Could not reach the shop. Check your connection and try again.';
  }
  const codes = error.graphQLErrors.map((g) => g.extensions?.['code']);
  if (codes.includes('RATE_LIMITED') || error.response?.status === 429) {
    return 'Too many requests just now. Please wait a moment and try again.';
  }
  if (codes.includes('UNAUTHENTICATED')) return 'Your session ended. Please sign in again.';
  if (codes.includes('NOT_FOUND')) return 'Not found.';
  return 'Something went wrong on our side. Please try again.';
}

/** A server message as a sentence: capital first letter, full stop at the end. */
export function sentence(msg: string): string {
  const t = msg.trim();
  if (!t) return t;
  const c = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : `${c}.`;
}

/**
 * Words for a form field's problem. "postalCode is required" names an API field,
 * not what the shopper sees, so "required" problems are said with the form's label.
 */
export function fieldProblemMessage(label: string, serverMessage: string): string {
  if (/^\s*\S+ is required\s*$/i.test(serverMessage) || serverMessage.trim() === '') {
    return `Please enter ${label.replace(/\s*\(optional\)$/, '').toLowerCase()}.`;
  }
  return sentence(serverMessage);
}
