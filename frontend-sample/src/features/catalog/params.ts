/**
 * The catalog's state lives in the URL (`?q=merino&category=men&brand=Acme&color=Navy&sort=PRICE_ASC`),
 * so a link or a reload shows the same page.
 */
import type { ProductFilter, ProductSort } from '../../gql/graphql';

export const SORTS: { value: ProductSort; label: string }[] = [
  { value: 'RELEVANCE', label: 'Relevance' },
  { value: 'NEWEST', label: 'Newest' },
  { value: 'PRICE_ASC', label: 'Price: low to high' },
  { value: 'PRICE_DESC', label: 'Price: high to low' },
  { value: 'NAME_ASC', label: 'Name: A to Z' },
  { value: 'NAME_DESC', label: 'Name: Z to A' },
];

export const ATTRIBUTE_PARAMS = ['color', 'size'] as const;

export interface CatalogState {
  q: string;
  category: string | null;
  brands: string[];
  attributes: Record<string, string[]>;
  priceMin: number | null;
  priceMax: number | null;
  sort: ProductSort | null;
}

function intOrNull(s: string | null): number | null {
  if (s === null || !/^\d+$/.test(s)) return null;
  return Number(s);
}

export function parseCatalog(p: URLSearchParams): CatalogState {
  const sortParam = p.get('sort');
  const sort = SORTS.find((s) => s.value === sortParam)?.value ?? null;
  const attributes: Record<string, string[]> = {};
  for (const a of ATTRIBUTE_PARAMS) {
    const vs = p.getAll(a);
    if (vs.length) attributes[a] = vs;
  }
  return {
    q: p.get('q') ?? '',
    category: p.get('category'),
    brands: p.getAll('brand'),
    attributes,
    priceMin: intOrNull(p.get('min')),
    priceMax: intOrNull(p.get('max')),
    sort,
  };
}

export function toFilter(s: CatalogState, categoryId: string | null): ProductFilter {
  const f: ProductFilter = {};
  if (s.q.trim()) f.search = s.q.trim();
  if (categoryId) f.categoryIds = [categoryId];
  if (s.brands.length) f.brands = s.brands;
  const attrs = Object.entries(s.attributes).map(([name, values]) => ({ name, values }));
  if (attrs.length) f.attributes = attrs;
  if (s.priceMin !== null) f.priceMin = s.priceMin;
  if (s.priceMax !== null) f.priceMax = s.priceMax;
  return f;
}

/** Toggles one value of a multi-valued parameter, keeping the rest of the URL. */
export function toggleParam(p: URLSearchParams, key: string, value: string): URLSearchParams {
  const next = new URLSearchParams(p);
  const values = next.getAll(key);
  next.delete(key);
  const kept = values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
  for (const v of kept) next.append(key, v);
  return next;
}

export function setParam(p: URLSearchParams, key: string, value: string | null): URLSearchParams {
  const next = new URLSearchParams(p);
  if (value === null || value === '') next.delete(key);
  else next.set(key, value);
  return next;
}
