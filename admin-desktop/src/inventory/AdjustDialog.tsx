/**
 * Adjust one level: by a delta or to a count, with a reason and a note. Sends the
 * version the user saw; a VERSION_CONFLICT opens the conflict dialog with the level
 * as it is now. User errors are shown next to their field; input is never lost.
 */
import { useState, type FormEvent } from "react";
import { request } from "../api/client";
import { errorText, fieldError, userErrorText, type UserErrorLike } from "../api/errors";
import type { AdjustmentReason } from "../gql/graphql";
import { Dialog, Field } from "../ui/Dialog";
import { ConflictDialog, requestText, resultOf, type AdjustRequest, type LastChange, type LevelNumbers } from "./ConflictDialog";
import { InventoryAdjustMutation, StockMovementsQuery } from "./operations";

export interface AdjustTarget {
  variantId: string;
  sku: string;
  location: { id: string; name: string; code: string };
  level: LevelNumbers;
}

export type AdjustedLevel = NonNullable<
  Awaited<ReturnType<typeof runAdjust>>["inventoryAdjust"]["stockLevel"]
>;

function runAdjust(t: AdjustTarget, req: AdjustRequest, reason: AdjustmentReason, note: string, version: number) {
  return request(InventoryAdjustMutation, {
    input: {
      variantId: t.variantId,
      locationId: t.location.id,
      ...(req.mode === "delta" ? { delta: req.amount } : { setOnHand: req.amount }),
      reason,
      note,
      expectedVersion: version,
    },
  });
}

interface Conflict {
  now: LevelNumbers;
  lastChange: LastChange;
  request: AdjustRequest;
}

export function AdjustDialog(props: {
  target: AdjustTarget;
  onClose: () => void;
  onDone: (level: AdjustedLevel, message: string) => void;
}) {
  const t = props.target;
  const [mode, setMode] = useState<"delta" | "set">("delta");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState<AdjustmentReason>("ADJUSTMENT");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [seen, setSeen] = useState<LevelNumbers>(t.level);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [conflictError, setConflictError] = useState<string | null>(null);

  const parsed = amount.trim() === "" ? NaN : Number(amount);
  const req: AdjustRequest | null = Number.isInteger(parsed) ? { mode, amount: parsed } : null;

  async function submit(r: AdjustRequest, version: number, fromConflict: boolean) {
    setBusy(true);
    setGeneral(null);
    setConflictError(null);
    try {
      const data = await runAdjust(t, r, reason, note.trim(), version);
      const p = data.inventoryAdjust;
      const conflictErr = p.userErrors.find((e) => e.code === "VERSION_CONFLICT");
      if (conflictErr && p.stockLevel) {
        const now = p.stockLevel;
        let last: LastChange = null;
        try {
          const hist = await request(StockMovementsQuery, { variantId: t.variantId, locationId: t.location.id, first: 1 });
          last = hist.stockMovements.nodes[0] ?? null;
        } catch {
          last = null;
        }
        setConflict({ now, lastChange: last, request: r });
        return;
      }
      if (p.userErrors.length > 0) {
        if (fromConflict) {
          setConflictError(p.userErrors.map(userErrorText).join(" "));
        } else {
          setErrors(p.userErrors);
          const unplaced = p.userErrors.filter(
            (e) => !e.field || !["delta", "setOnHand", "note", "reason"].includes(e.field[e.field.length - 1] ?? ""),
          );
          setGeneral(unplaced.length ? unplaced.map(userErrorText).join(" ") : null);
        }
        return;
      }
      if (p.stockLevel) {
        const before = fromConflict && conflict ? conflict.now.onHand : seen.onHand;
        props.onDone(p.stockLevel, `${t.sku} at ${t.location.name}: on hand ${before} → ${p.stockLevel.onHand}.`);
      }
    } catch (err) {
      if (fromConflict) setConflictError(errorText(err));
      else setGeneral(`${errorText(err)} Your input is kept; submit again when ready.`);
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setErrors([]);
    if (!req) {
      setLocalError(mode === "delta" ? "Enter a whole number, e.g. 5 or -3." : "Enter the count on hand, e.g. 12.");
      return;
    }
    if (mode === "delta" && req.amount === 0) {
      setLocalError("A change of 0 does nothing. Enter e.g. 5 or -3.");
      return;
    }
    if (mode === "set" && req.amount < 0) {
      setLocalError("On hand cannot be negative.");
      return;
    }
    setLocalError(null);
    void submit(req, seen.version, false);
  }

  if (conflict) {
    return (
      <ConflictDialog
        sku={t.sku}
        locationName={t.location.name}
        seen={seen}
        now={conflict.now}
        lastChange={conflict.lastChange}
        request={conflict.request}
        busy={busy}
        error={conflictError}
        onCancel={() => {
          // Nothing applied: back to the form, now showing the current numbers.
          setSeen(conflict.now);
          setConflict(null);
          setGeneral("Nothing was changed. The numbers above are the current ones.");
        }}
        onReapply={() => void submit(conflict.request, conflict.now.version, true)}
      />
    );
  }

  const amountError = localError ?? fieldError(errors, mode === "delta" ? "delta" : "setOnHand");
  return (
    <Dialog title={`Adjust ${t.sku} at ${t.location.name}`} onClose={props.onClose} testId="adjust-dialog">
      <p className="level-now" data-testid="adjust-seen">
        On hand <strong>{seen.onHand}</strong> · reserved <strong>{seen.reserved}</strong> · available{" "}
        <strong>{seen.available}</strong>
      </p>
      <form onSubmit={onSubmit} noValidate>
        <fieldset className="segmented">
          <legend>Change</legend>
          <label>
            <input type="radio" name="mode" checked={mode === "delta"} onChange={() => setMode("delta")} /> Add or
            remove units
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === "set"} onChange={() => setMode("set")} /> Set on hand
            to a count
          </label>
        </fieldset>
        <Field
          label={mode === "delta" ? "Units to add (negative to remove)" : "New count on hand"}
          error={amountError}
          hint={req ? `On hand becomes ${resultOf(req, seen.onHand)} (${requestText(req)}).` : undefined}
        >
          <input
            name="amount"
            inputMode="numeric"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={Boolean(amountError)}
            data-autofocus
          />
        </Field>
        <Field label="Reason" error={fieldError(errors, "reason")}>
          <select name="reason" value={reason} onChange={(e) => setReason(e.target.value as AdjustmentReason)}>
            <option value="ADJUSTMENT">Adjustment (count correction)</option>
            <option value="RESTOCK">Restock (delivery)</option>
            <option value="RETURN">Return</option>
          </select>
        </Field>
        <Field label="Note" error={fieldError(errors, "note")}>
          <input name="note" value={note} onChange={(e) => setNote(e.target.value)} placeholder="e.g. cycle count" />
        </Field>
        {general ? (
          <p className="form-error" role="alert">
            {general}
          </p>
        ) : null}
        <div className="actions">
          <button type="button" onClick={props.onClose} disabled={busy}>
            Close
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : "Apply"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
