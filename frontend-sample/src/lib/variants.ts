/** Pure logic of the variant picker: which variant a selection names, and how to mark each value. */
export interface PickableVariant {
  id: string;
  attributes: ReadonlyArray<{ name: string; value: string }>;
  inStock: boolean;
}

export type Selection = Readonly<Record<string, string | undefined>>;

export type ValueState = 'available' | 'soldOut' | 'unavailable';

function matches(v: PickableVariant, sel: Selection, skip?: string): boolean {
  return Object.entries(sel).every(([name, value]) => {
    if (name === skip || value === undefined) return true;
    return v.attributes.some((a) => a.name === name && a.value === value);
  });
}

/** The variant with exactly this selection of every option, if there is one. */
export function findVariant<V extends PickableVariant>(
  variants: readonly V[],
  sel: Selection,
  optionNames: readonly string[],
): V | undefined {
  if (optionNames.some((n) => sel[n] === undefined)) return undefined;
  return variants.find((v) => matches(v, sel));
}

/**
 * How a value of one option looks given what else is selected:
 * `unavailable` when no variant combines it with the other choices,
 * `soldOut` when such variants exist but none is in stock.
 */
export function valueState(
  variants: readonly PickableVariant[],
  sel: Selection,
  option: string,
  value: string,
): ValueState {
  const candidates = variants.filter(
    (v) => v.attributes.some((a) => a.name === option && a.value === value) && matches(v, sel, option),
  );
  if (candidates.length === 0) return 'unavailable';
  return candidates.some((v) => v.inStock) ? 'available' : 'soldOut';
}

/** A first selection: the first in-stock variant's values (or the first variant's). */
export function initialSelection(variants: readonly PickableVariant[]): Record<string, string> {
  const v = variants.find((x) => x.inStock) ?? variants[0];
  const sel: Record<string, string> = {};
  for (const a of v?.attributes ?? []) sel[a.name] = a.value;
  return sel;
}

/** Stock wording for shoppers. */
export function stockLabel(available: number, lowThreshold = 5): string {
  if (available <= 0) return 'Sold out';
  if (available <= lowThreshold) return `Only ${available} left`;
  return 'In stock';
}
