/**
 * The app shell: sign-in, then Home / Inventory / Payments with a connection
 * indicator and an offline banner. When the session ends, the sign-in dialog opens
 * over the screens so nothing typed is lost.
 */
import { useEffect, useState, useSyncExternalStore } from "react";
import { useConnectivity, useQuery } from "./api/hooks";
import { retryNow } from "./api/connectivity";
import { startLive, stopLive } from "./api/live";
import { DEFAULT_SERVER, loadPrefs } from "./auth/prefs";
import { resume, session, signOut, socketToken } from "./auth/session";
import { SignInForm } from "./auth/SignIn";
import type { PaymentIssueKind } from "./gql/graphql";
import { HomeScreen } from "./home/HomeScreen";
import { InventoryScreen } from "./inventory/InventoryScreen";
import type { OrderRef } from "./inventory/VariantPanel";
import { OrderByIdQuery } from "./payments/operations";
import { OrderView } from "./payments/OrderView";
import { PaymentsScreen } from "./payments/PaymentsScreen";
import { Dialog } from "./ui/Dialog";

type Screen = { name: "home" } | { name: "inventory" } | { name: "payments"; kind?: PaymentIssueKind };

export function App() {
  const s = useSyncExternalStore(session.subscribe, session.get);
  useEffect(() => {
    void resume(loadPrefs().server || DEFAULT_SERVER);
  }, []);

  if (s.status === "starting") {
    return (
      <main className="center">
        <p className="muted">Starting…</p>
      </main>
    );
  }
  if (s.status === "signed_out") {
    return (
      <main className="center">
        <div className="signin-card">
          <h1>Stockade Admin</h1>
          <p className="muted">Sign in with your staff account.</p>
          <SignInForm />
        </div>
      </main>
    );
  }
  return (
    <>
      <Shell key={s.generation} server={s.server} userName={s.user.name || s.user.email} />
      {s.status === "expired" ? (
        <Dialog title="Sign in again" onClose={() => undefined}>
          <p>Your session ended. Sign in again to continue; what you were doing is kept.</p>
          <SignInForm lockedServer={s.server} lockedEmail={s.user.email} />
        </Dialog>
      ) : null}
    </>
  );
}

function Shell(props: { server: string; userName: string }) {
  const [screen, setScreen] = useState<Screen>({ name: "home" });
  const [toast, setToast] = useState<string | null>(null);
  const [openOrder, setOpenOrder] = useState<OrderRef | null>(null);
  // Bumped by Home's "low stock" link: the inventory then shows low stock only.
  const [lowStockAsk, setLowStockAsk] = useState(0);

  useEffect(() => {
    startLive(props.server, socketToken);
    return () => stopLive();
  }, [props.server]);

  useEffect(() => {
    if (!toast) return;
    const t = setTimeout(() => setToast(null), 6000);
    return () => clearTimeout(t);
  }, [toast]);

  const nav: { name: Screen["name"]; label: string; key: string }[] = [
    { name: "home", label: "Home", key: "1" },
    { name: "inventory", label: "Inventory", key: "2" },
    { name: "payments", label: "Payments", key: "3" },
  ];

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return;
      const n = nav.find((x) => x.key === e.key);
      if (n) {
        e.preventDefault();
        setScreen({ name: n.name } as Screen);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Stockade Admin</span>
        <nav aria-label="Screens">
          {nav.map((n) => (
            <button
              key={n.name}
              type="button"
              className={screen.name === n.name ? "nav current" : "nav"}
              aria-current={screen.name === n.name ? "page" : undefined}
              onClick={() => setScreen({ name: n.name } as Screen)}
              title={`Alt+${n.key}`}
              data-nav={n.name}
            >
              {n.label}
            </button>
          ))}
        </nav>
        <span className="spacer" />
        <LiveIndicator />
        <span className="muted user" title={props.server}>
          {props.userName}
        </span>
        <button type="button" onClick={() => void signOut()} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <OfflineBanner server={props.server} />
      <main className="content">
        {screen.name === "home" ? (
          <HomeScreen
            onPayments={(kind) => setScreen({ name: "payments", kind })}
            onLowStock={() => {
              setLowStockAsk((n) => n + 1);
              setScreen({ name: "inventory" });
            }}
          />
        ) : null}
        {/* Inventory stays mounted so its rows, scroll and open forms survive a visit elsewhere. */}
        <div hidden={screen.name !== "inventory"} className="screen-slot">
          <InventoryScreen
            lowStockAsk={lowStockAsk}
            onOpenOrder={setOpenOrder}
            notify={setToast}
          />
        </div>
        {screen.name === "payments" ? (
          <PaymentsScreen kind={screen.kind} onKind={(kind) => setScreen({ name: "payments", kind })} />
        ) : null}
      </main>
      {toast ? (
        <div className="toast" role="status" data-testid="toast">
          {toast}
        </div>
      ) : null}
      {openOrder ? <OrderLookup order={openOrder} onClose={() => setOpenOrder(null)} /> : null}
    </div>
  );
}

function LiveIndicator() {
  const c = useConnectivity();
  const state = c.http === "down" ? "offline" : c.live === "idle" ? "reconnecting" : c.live;
  const label = state === "live" ? "Live" : state === "reconnecting" ? "Reconnecting…" : "Offline";
  return (
    <span className={`live-dot ${state}`} role="status" aria-label={`Connection: ${label}`} data-testid="live-indicator" data-state={state}>
      <span className="dot" aria-hidden="true" /> {label}
    </span>
  );
}

function OfflineBanner(props: { server: string }) {
  const c = useConnectivity();
  const [, setTick] = useState(0);
  useEffect(() => {
    if (c.http !== "down") return;
    const t = setInterval(() => setTick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, [c.http]);
  if (c.http !== "down" && c.live !== "offline") return null;
  const secs = c.nextRetryAt ? Math.max(0, Math.ceil((c.nextRetryAt - Date.now()) / 1000)) : null;
  return (
    <div className="banner" role="alert" data-testid="offline-banner">
      <strong>The server at {props.server} is not answering.</strong> The app keeps trying
      {secs !== null && c.http === "down" ? ` (next try in ${secs} s)` : ""}; nothing you typed is lost and the data
      refreshes by itself when it is back.{" "}
      <button type="button" onClick={retryNow}>
        Retry now
      </button>
    </div>
  );
}

function OrderLookup(props: { order: OrderRef; onClose: () => void }) {
  const q = useQuery(OrderByIdQuery, { id: props.order.id });
  const order = q.data?.order;
  return (
    <Dialog title={`Order ${props.order.number}`} onClose={props.onClose} wide>
      {q.error ? <p className="form-error">{q.error}</p> : null}
      {order ? <OrderView order={order} /> : <p className="muted">{q.loading ? "Loading…" : "This order was not found."}</p>}
      <div className="actions">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
