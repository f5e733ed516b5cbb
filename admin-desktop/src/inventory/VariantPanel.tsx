/**
 * One variant: its levels per location (adjust each), transfer between locations,
 * its low-stock threshold, and its movement history (newest first, paged).
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { request } from "../api/client";
import { recovered } from "../api/connectivity";
import { errorText, fieldError, userErrorText, type UserErrorLike } from "../api/errors";
import { useQuery } from "../api/hooks";
import type { StockMovementsQuery } from "../gql/graphql";
import { Field, signed } from "../ui/Dialog";
import { AdjustDialog, type AdjustTarget } from "./AdjustDialog";
import { variantLabel, type Level, type Row } from "./model";
import { InventoryTransferMutation, LowStockThresholdMutation, StockMovementsQuery as MovementsDoc, VariantStockQuery } from "./operations";
import { actorText, reasonText } from "./words";

type MovementNode = StockMovementsQuery["stockMovements"]["nodes"][number];
/** The order a ledger row refers to (a sale, or a return on refund). */
export type OrderRef = NonNullable<MovementNode["reference"]["order"]>;

export function VariantPanel(props: {
  row: Row;
  locations: { id: string; code: string; name: string }[];
  onClose: () => void;
  onLevel: (level: Omit<Level, "updatedAt"> & { updatedAt?: string | null }) => void;
  onOpenOrder: (order: OrderRef) => void;
  notify: (msg: string) => void;
}) {
  const { row } = props;
  const [adjust, setAdjust] = useState<AdjustTarget | null>(null);
  const levelsKey = row.levels.map((l) => `${l.location.id}:${l.version}`).join(",");
  const stock = useQuery(VariantStockQuery, { id: row.variant.id });
  const threshold = stock.data?.node && "lowStockThreshold" in stock.data.node ? stock.data.node.lowStockThreshold : null;

  // Every location shows, stocked or not (version 0 where never stocked).
  const levels: Level[] = props.locations.map(
    (loc) =>
      row.levels.find((l) => l.location.id === loc.id) ?? {
        onHand: 0,
        reserved: 0,
        available: 0,
        version: 0,
        updatedAt: null,
        location: loc,
      },
  );

  return (
    <aside className="panel" aria-label={`Variant ${row.sku}`} data-testid="variant-panel">
      <header className="panel-head">
        <div>
          <h2>{row.sku}</h2>
          <p className="muted">
            {row.product.name} · {variantLabel(row)}
          </p>
        </div>
        <button type="button" onClick={props.onClose} aria-label="Close variant">
          ✕
        </button>
      </header>
      <section>
        <h3>Stock by location</h3>
        <table className="levels">
          <thead>
            <tr>
              <th scope="col">Location</th>
              <th scope="col">On hand</th>
              <th scope="col">Reserved</th>
              <th scope="col">Available</th>
              <th scope="col"></th>
            </tr>
          </thead>
          <tbody>
            {levels.map((l) => (
              <tr key={l.location.id} data-location={l.location.code}>
                <th scope="row">{l.location.name}</th>
                <td data-testid="level-onhand">{l.onHand}</td>
                <td>{l.reserved}</td>
                <td>{l.available}</td>
                <td>
                  <button
                    type="button"
                    onClick={() =>
                      setAdjust({ variantId: row.variant.id, sku: row.sku, location: l.location, level: { ...l } })
                    }
                  >
                    Adjust…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <TransferForm row={row} levels={levels} onLevel={props.onLevel} notify={props.notify} />
      <ThresholdForm
        variantId={row.variant.id}
        value={threshold?.value ?? row.lowStockThreshold}
        isDefault={threshold?.isDefault ?? true}
        onSaved={() => stock.reload()}
        notify={props.notify}
      />
      <MovementHistory variantId={row.variant.id} refreshKey={levelsKey} onOpenOrder={props.onOpenOrder} />
      {adjust ? (
        <AdjustDialog
          target={adjust}
          onClose={() => setAdjust(null)}
          onDone={(level, msg) => {
            props.onLevel(level);
            setAdjust(null);
            props.notify(msg);
          }}
        />
      ) : null}
    </aside>
  );
}

function TransferForm(props: {
  row: Row;
  levels: Level[];
  onLevel: (l: Omit<Level, "updatedAt">) => void;
  notify: (m: string) => void;
}) {
  const first = props.levels[0]?.location.id ?? "";
  const second = props.levels[1]?.location.id ?? first;
  const [from, setFrom] = useState(first);
  const [to, setTo] = useState(second);
  const [qty, setQty] = useState("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (props.levels.length < 2) return null;

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const n = Number(qty);
    setErrors([]);
    setGeneral(null);
    if (!Number.isInteger(n) || n <= 0) {
      setErrors([{ code: "INVALID", field: ["quantity"], message: "Enter how many units to move, e.g. 3." }]);
      return;
    }
    if (from === to) {
      setErrors([{ code: "INVALID", field: ["toLocationId"], message: "Choose a different destination." }]);
      return;
    }
    setBusy(true);
    try {
      const data = await request(InventoryTransferMutation, {
        input: { variantId: props.row.variant.id, fromLocationId: from, toLocationId: to, quantity: n, note: note.trim() },
      });
      const p = data.inventoryTransfer;
      if (p.userErrors.length) {
        setErrors(p.userErrors);
        const placed = ["quantity", "fromLocationId", "toLocationId", "note"];
        const rest = p.userErrors.filter((x) => !x.field || !placed.includes(x.field[x.field.length - 1] ?? ""));
        if (rest.length) setGeneral(rest.map(userErrorText).join(" "));
        return;
      }
      if (p.from) props.onLevel(p.from);
      if (p.to) props.onLevel(p.to);
      setQty("");
      setNote("");
      props.notify(`Moved ${n} × ${props.row.sku}.`);
    } catch (err) {
      setGeneral(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h3>Transfer</h3>
      <form className="inline-form" onSubmit={onSubmit} noValidate>
        <Field label="From" error={fieldError(errors, "fromLocationId")}>
          <select value={from} onChange={(e) => setFrom(e.target.value)}>
            {props.levels.map((l) => (
              <option key={l.location.id} value={l.location.id}>
                {l.location.name} ({l.available} available)
              </option>
            ))}
          </select>
        </Field>
        <Field label="To" error={fieldError(errors, "toLocationId")}>
          <select value={to} onChange={(e) => setTo(e.target.value)}>
            {props.levels.map((l) => (
              <option key={l.location.id} value={l.location.id}>
                {l.location.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Units" error={fieldError(errors, "quantity")}>
          <input inputMode="numeric" value={qty} onChange={(e) => setQty(e.target.value)} size={5} />
        </Field>
        <Field label="Note" error={fieldError(errors, "note")}>
          <input value={note} onChange={(e) => setNote(e.target.value)} />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? "Moving…" : "Move"}
        </button>
      </form>
      {general ? (
        <p className="form-error" role="alert">
          {general}
        </p>
      ) : null}
    </section>
  );
}

function ThresholdForm(props: {
  variantId: string;
  value: number;
  isDefault: boolean;
  onSaved: () => void;
  notify: (m: string) => void;
}) {
  const [value, setValue] = useState(String(props.value));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setValue(String(props.value)), [props.value]);

  async function save(threshold: number | null) {
    setBusy(true);
    setError(null);
    try {
      const data = await request(LowStockThresholdMutation, { variantId: props.variantId, threshold });
      const p = data.lowStockThresholdSet;
      if (p.userErrors.length) {
        setError(p.userErrors.map(userErrorText).join(" "));
        return;
      }
      props.onSaved();
      props.notify(
        threshold === null
          ? `Low-stock threshold back to the shop default (${p.lowStockThreshold?.value ?? "?"}).`
          : `Low-stock threshold set to ${threshold}.`,
      );
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h3>Low-stock threshold</h3>
      <form
        className="inline-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(value);
          if (!Number.isInteger(n) || n < 0) {
            setError("Enter a whole number of units, 0 or more.");
            return;
          }
          void save(n);
        }}
      >
        <Field
          label="Low when available is at most"
          error={error}
          hint={props.isDefault ? "Using the shop default." : "Set for this variant."}
        >
          <input inputMode="numeric" value={value} onChange={(e) => setValue(e.target.value)} size={5} />
        </Field>
        <button type="submit" disabled={busy}>
          Save
        </button>
        <button type="button" disabled={busy || props.isDefault} onClick={() => void save(null)}>
          Use shop default
        </button>
      </form>
    </section>
  );
}

function MovementHistory(props: { variantId: string; refreshKey: string; onOpenOrder: (order: OrderRef) => void }) {
  const [items, setItems] = useState<MovementNode[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const { variantId, refreshKey } = props;
  const load = useCallback(async (after: string | null) => {
    setLoading(true);
    try {
      const data = await request(MovementsDoc, { variantId, first: 25, after });
      const c = data.stockMovements;
      setItems((prev) => (after ? [...prev, ...c.nodes] : c.nodes));
      setCursor(c.pageInfo.endCursor);
      setMore(c.pageInfo.hasNextPage);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  }, [variantId]);

  // Newest first: re-read the first page when the level changes (live or here) and
  // when the server is back after an outage.
  useEffect(() => {
    void load(null);
  }, [load, refreshKey]);
  useEffect(() => recovered.on(() => void load(null)), [load]);

  return (
    <section>
      <h3>Movement history</h3>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <table className="movements" data-testid="movements">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Where</th>
            <th scope="col">What</th>
            <th scope="col" title="Change in units on hand">± hand</th>
            <th scope="col" title="Change in units reserved">± res.</th>
            <th scope="col" title="On hand / reserved / available after it">After</th>
            <th scope="col">Who</th>
            <th scope="col">Ref. · note</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <tr key={m.id}>
              <td>{shortTime(m.at)}</td>
              <td>{m.location.code}</td>
              <td>{reasonText(m.reason)}</td>
              <td className="num">{m.deltaOnHand ? signed(m.deltaOnHand) : ""}</td>
              <td className="num">{m.deltaReserved ? signed(m.deltaReserved) : ""}</td>
              <td>
                {m.onHandAfter} / {m.reservedAfter} / {m.availableAfter}
              </td>
              <td>{actorText(m.actor)}</td>
              <td>
                {m.reference.order ? (
                  <button type="button" className="link" onClick={() => m.reference.order && props.onOpenOrder(m.reference.order)}>
                    Order {m.reference.order.number}
                  </button>
                ) : m.reference.type !== "ADJUSTMENT" && m.reference.type !== "NOTE" ? (
                  <span className="muted">{m.reference.type.toLowerCase()}</span>
                ) : null}
                {m.note ? <span> {m.note}</span> : null}
              </td>
            </tr>
          ))}
          {items.length === 0 && !loading ? (
            <tr>
              <td colSpan={8} className="muted">
                No movements yet.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {more ? (
        <button type="button" onClick={() => void load(cursor)} disabled={loading}>
          {loading ? "Loading…" : "Older movements"}
        </button>
      ) : null}
    </section>
  );
}

/** "14:05:09" today, "Nov 30 14:05" before. */
function shortTime(iso: string): string {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}
