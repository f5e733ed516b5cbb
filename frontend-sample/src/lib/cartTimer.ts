/** What a cart's hold countdown shows, computed from `reservedUntil` and the clock. */
export interface HoldState {
  /** Whole seconds left, 0 once lapsed. */
  secondsLeft: number;
  lapsed: boolean;
  /** "9:58", "0:05". */
  label: string;
  /** Less than a minute left: warn. */
  urgent: boolean;
}

export function holdState(reservedUntil: string | null | undefined, nowMs: number): HoldState | null {
  if (!reservedUntil) return null;
  const until = Date.parse(reservedUntil);
  if (Number.isNaN(until)) return null;
  const secondsLeft = Math.max(0, Math.ceil((until - nowMs) / 1000));
  const m = Math.floor(secondsLeft / 60);
  const s = secondsLeft % 60;
  return {
    secondsLeft,
    lapsed: secondsLeft === 0,
    label: `${m}:${String(s).padStart(2, '0')}`,
    urgent: secondsLeft > 0 && secondsLeft < 60,
  };
}
