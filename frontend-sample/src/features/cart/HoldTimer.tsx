/** The honest countdown of the cart's holds, from the server's `reservedUntil`. */
import { useEffect, useRef } from 'react';
import { useNow } from '../../api/hooks';
import { holdState } from '../../lib/cartTimer';

export function HoldTimer({ reservedUntil, lapsed, onLapse }: { reservedUntil: string | null; lapsed: boolean; onLapse(): void }) {
  const now = useNow(1000);
  const st = holdState(reservedUntil, now);
  const fired = useRef<string | null>(null);
  useEffect(() => {
    // When the clock runs out, ask the server what it holds now.
    if (st?.lapsed && fired.current !== reservedUntil) {
      fired.current = reservedUntil;
      const t = setTimeout(onLapse, 1500);
      return () => clearTimeout(t);
    }
    return undefined;
  }, [st?.lapsed, reservedUntil, onLapse]);

  if (lapsed || !st || st.lapsed) {
    return <p className="timer timer-lapsed" data-testid="hold-timer">Some items are no longer held for you. Hold them again to keep them.</p>;
  }
  return (
    <p className={`timer${st.urgent ? ' timer-urgent' : ''}`} data-testid="hold-timer">
      Items held for you for <strong><time dateTime={reservedUntil ?? undefined}>{st.label}</time></strong>
      <span className="sr-only"> minutes</span>
    </p>
  );
}
