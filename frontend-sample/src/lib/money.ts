/** Money as the API sends it: integer minor units plus an ISO 4217 code. */
export interface MoneyLike {
  amount: number;
  currencyCode: string;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currencyCode: string, locale: string): Intl.NumberFormat {
  const key = `${locale}|${currencyCode}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency: currencyCode });
    formatters.set(key, f);
  }
  return f;
}

/** How many minor units make one major unit (USD 2, JPY 0, KWD 3), from Intl's data. */
export function minorDigits(currencyCode: string): number {
  return formatter(currencyCode, 'en-US').resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Formats integer minor units for people. Never goes through floats for the
 * arithmetic: the division only happens once, for display.
 */
export function formatMoney(money: MoneyLike, locale = 'en-US'): string {
  if (!Number.isInteger(money.amount)) throw new Error('money amounts are integer minor units');
  const digits = minorDigits(money.currencyCode);
  return formatter(money.currencyCode, locale).format(money.amount / 10 ** digits);
}

/** Parses what a shopper types into a price box ("49", "49.5", "49.99") into minor units. */
export function parseMajorToMinor(text: string, currencyCode: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d+(\.\d*)?$/.test(t)) return null;
  const digits = minorDigits(currencyCode);
  const [whole = '0', frac = ''] = t.split('.');
  if (frac.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
}

/** Minor units back into what a price box shows ("49.99"); integers only. */
export function minorToMajorText(amount: number, currencyCode: string): string {
  const digits = minorDigits(currencyCode);
  if (digits === 0) return String(amount);
  const s = String(Math.abs(amount)).padStart(digits + 1, '0');
  return `${amount < 0 ? '-' : ''}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}
