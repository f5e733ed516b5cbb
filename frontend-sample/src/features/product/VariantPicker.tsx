/**
 * Option pickers (color, size). A value no variant offers with the other choices is
 * marked "unavailable", one whose variants are sold out is struck through: both stay
 * visible, so shoppers see what exists.
 */
import { valueState, type PickableVariant, type Selection } from '../../lib/variants';

export interface VariantPickerProps {
  options: ReadonlyArray<{ name: string; values: readonly string[] }>;
  variants: readonly PickableVariant[];
  selection: Selection;
  onChange(name: string, value: string): void;
}

export function VariantPicker({ options, variants, selection, onChange }: VariantPickerProps) {
  return (
    <div className="picker">
      {options.map((o) => (
        <fieldset key={o.name} className="picker-option">
          <legend className="cap">{o.name}{selection[o.name] ? `: ${selection[o.name]}` : ''}</legend>
          <div className="chips" role="radiogroup" aria-label={o.name}>
            {o.values.map((v) => {
              const st = valueState(variants, selection, o.name, v);
              const checked = selection[o.name] === v;
              const note = st === 'soldOut' ? ' (sold out)' : st === 'unavailable' ? ' (unavailable)' : '';
              return (
                <button
                  key={v}
                  type="button"
                  role="radio"
                  aria-checked={checked}
                  className={`chip chip-${st}${checked ? ' chip-on' : ''}`}
                  onClick={() => onChange(o.name, v)}
                  title={note ? `${v}${note}` : v}
                >
                  {v}<span className="sr-only">{note}</span>
                </button>
              );
            })}
          </div>
        </fieldset>
      ))}
    </div>
  );
}
