/**
 * Shown when an adjustment met VERSION_CONFLICT: what the user saw, what the level
 * is now and who changed it last, and what they asked for. Re-applying sends the
 * same request on the current version; nothing happens without the user seeing it.
 */
import type { StockMovementsQuery } from "../gql/graphql";
import { Dialog, formatTime, signed } from "../ui/Dialog";
import { actorText, reasonText } from "./words";

export interface LevelNumbers {
  onHand: number;
  reserved: number;
  available: number;
  version: number;
}

export type AdjustRequest = { mode: "delta"; amount: number } | { mode: "set"; amount: number };

export type LastChange = StockMovementsQuery["stockMovements"]["nodes"][number] | null;

export function resultOf(req: AdjustRequest, onHand: number): number {
  return req.mode === "delta" ? onHand + req.amount : req.amount;
}

export function requestText(req: AdjustRequest): string {
  return req.mode === "delta" ? `change on hand by ${signed(req.amount)}` : `set on hand to ${req.amount}`;
}

export function ConflictDialog(props: {
  locationName: string;
  sku: string;
  seen: LevelNumbers;
  now: LevelNumbers;
  lastChange: LastChange;
  request: AdjustRequest;
  busy: boolean;
  error?: string | null;
  onReapply: () => void;
  onCancel: () => void;
}) {
  const { seen, now, request: req, lastChange } = props;
  const after = resultOf(req, now.onHand);
  const belowReserved = after < now.reserved;
  return (
    <Dialog title="Someone changed this stock meanwhile" onClose={props.onCancel} wide testId="conflict-dialog">
      <p>
        {props.sku} at {props.locationName} changed after you opened it. Nothing was applied. Check the new numbers
        before you apply your change again.
      </p>
      <table className="compare">
        <thead>
          <tr>
            <th scope="col"></th>
            <th scope="col">On hand</th>
            <th scope="col">Reserved</th>
            <th scope="col">Available</th>
          </tr>
        </thead>
        <tbody>
          <tr data-testid="conflict-seen">
            <th scope="row">You saw</th>
            <td>{seen.onHand}</td>
            <td>{seen.reserved}</td>
            <td>{seen.available}</td>
          </tr>
          <tr data-testid="conflict-now" className="now">
            <th scope="row">Now</th>
            <td>{now.onHand}</td>
            <td>{now.reserved}</td>
            <td>{now.available}</td>
          </tr>
        </tbody>
      </table>
      <p data-testid="conflict-last">
        {lastChange
          ? `Last change: ${reasonText(lastChange.reason)} (${signed(lastChange.deltaOnHand)} on hand, ${signed(
              lastChange.deltaReserved,
            )} reserved) by ${actorText(lastChange.actor)}, ${formatTime(lastChange.at)}${
              lastChange.note ? `: “${lastChange.note}”` : ""
            }.`
          : "Who changed it last is not known."}
      </p>
      <p data-testid="conflict-asked">
        You asked to {requestText(req)}. Applied now, on hand goes from {now.onHand} to <strong>{after}</strong>.
      </p>
      {belowReserved ? (
        <p className="field-error" role="alert">
          That would put on hand below the {now.reserved} units reserved for carts and orders; it cannot be applied.
        </p>
      ) : null}
      {props.error ? (
        <p className="field-error" role="alert">
          {props.error}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" onClick={props.onCancel} disabled={props.busy}>
          Cancel (change nothing)
        </button>
        <button
          type="button"
          className="primary"
          onClick={props.onReapply}
          disabled={props.busy || belowReserved}
          data-autofocus
        >
          {props.busy ? "Applying…" : `Apply on current numbers (on hand ${after})`}
        </button>
      </div>
    </Dialog>
  );
}
