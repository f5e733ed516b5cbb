import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { CategoriesQuery, ProductsQuery } from './queries';
import { parseCatalog, setParam, SORTS, toFilter, toggleParam } from './params';
import { CATALOG_GET } from '../../api/client';
import { useDebounced, useMediaQuery, useRefetchOnReconnect } from '../../api/hooks';
import { formatMoney, minorToMajorText, parseMajorToMinor } from '../../lib/money';
import { requestErrorMessage } from '../../lib/errors';
import { ErrorNote, Loading } from '../../components/Status';
import { ProductImage } from '../../components/ProductImage';
import type { CategoriesQuery as CategoriesData } from '../../gql/graphql';

const PAGE_SIZE = 12;
type Cat = CategoriesData['categories'][number];

function findCategory(cats: readonly { id: string; slug: string; name: string; children?: readonly unknown[] }[], slug: string): { id: string; name: string } | null {
  for (const c of cats) {
    if (c.slug === slug) return c;
    const kids = (c.children ?? []) as typeof cats;
    const hit = findCategory(kids, slug);
    if (hit) return hit;
  }
  return null;
}

function CategoryNav({ cats, active, params }: { cats: readonly Cat[]; active: string | null; params: URLSearchParams }) {
  const link = (slug: string | null) => `/?${setParam(params, 'category', slug).toString()}`;
  return (
    <nav aria-label="Categories" className="cat-nav">
      <ul>
        <li><Link to={link(null)} aria-current={active === null ? 'page' : undefined}>All products</Link></li>
        {cats.map((c) => (
          <li key={c.id}>
            <Link to={link(c.slug)} aria-current={active === c.slug ? 'page' : undefined}>{c.name}</Link>
            {c.children.length > 0 && (
              <ul>
                {c.children.map((k) => (
                  <li key={k.id}>
                    <Link to={link(k.slug)} aria-current={active === k.slug ? 'page' : undefined}>{k.name}</Link>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const state = parseCatalog(params);
  const [cats] = useQuery({ query: CategoriesQuery, requestPolicy: 'cache-first', context: CATALOG_GET });
  const category = state.category && cats.data ? findCategory(cats.data.categories, state.category) : null;
  const waitingForCategory = !!state.category && !cats.data;

  // Search as you type: the box is local, the URL follows after a pause.
  const [search, setSearch] = useState(state.q);
  const debounced = useDebounced(search, 300);
  useEffect(() => {
    if (debounced !== state.q) setParams(setParam(params, 'q', debounced), { replace: true });
  }, [debounced]); // only when the typed text settles
  useEffect(() => setSearch(state.q), [state.q]);

  const filter = useMemo(() => toFilter(state, category?.id ?? null), [params.toString(), category?.id]); // the URL is the state: recompute when it changes
  const sortBy = state.sort ?? (state.q ? 'RELEVANCE' : 'NEWEST');
  const filterKey = JSON.stringify([filter, sortBy]);
  const [after, setAfter] = useState<{ key: string; cursor: string } | null>(null);
  const cursor = after && after.key === filterKey ? after.cursor : null;

  const [res, refetch] = useQuery({
    query: ProductsQuery,
    variables: { first: PAGE_SIZE, after: cursor, filter, sortBy },
    context: CATALOG_GET,
    pause: waitingForCategory,
  });
  useRefetchOnReconnect(() => refetch({ requestPolicy: 'network-only' }));
  const conn = res.data?.products;
  const facets = conn?.facets;
  const currency = facets?.priceRange?.min.currencyCode ?? 'USD';

  const [minText, setMinText] = useState('');
  const [maxText, setMaxText] = useState('');
  useEffect(() => {
    setMinText(state.priceMin === null ? '' : minorToMajorText(state.priceMin, currency));
    setMaxText(state.priceMax === null ? '' : minorToMajorText(state.priceMax, currency));
  }, [state.priceMin, state.priceMax, currency]);
  const applyPrice = () => {
    const min = parseMajorToMinor(minText, currency);
    const max = parseMajorToMinor(maxText, currency);
    setParams(setParam(setParam(params, 'min', min === null ? null : String(min)), 'max', max === null ? null : String(max)));
  };

  const phone = useMediaQuery('(max-width: 760px)');
  const title = category ? category.name : state.q ? `Results for “${state.q}”` : 'All products';
  const chosen = (key: string, v: string) => params.getAll(key).includes(v);

  return (
    <div className="catalog">
      <aside className="catalog-side" aria-label="Categories and filters">
        <details open={!phone || undefined} key={phone ? 'phone' : 'wide'}>
        <summary className="filters-toggle">Categories and filters</summary>
        {cats.error && <ErrorNote message="Categories could not be loaded." onRetry={() => window.location.reload()} />}
        {cats.data && <CategoryNav cats={cats.data.categories} active={state.category} params={params} />}
        {facets && (
          <form className="facets" aria-label="Filters" onSubmit={(e) => { e.preventDefault(); applyPrice(); }}>
            <fieldset>
              <legend>Brand</legend>
              {facets.brands.map((b) => (
                <label key={b.value} className="check">
                  <input type="checkbox" checked={chosen('brand', b.value)} onChange={() => setParams(toggleParam(params, 'brand', b.value))} />
                  {b.value} <span className="count">({b.count})</span>
                </label>
              ))}
            </fieldset>
            {facets.attributes.map((a) => (
              <fieldset key={a.name}>
                <legend className="cap">{a.name}</legend>
                <div className="chips">
                  {a.values.map((v) => (
                    <label key={v.value} className={`chip${chosen(a.name, v.value) ? ' chip-on' : ''}`}>
                      <input type="checkbox" className="sr-only" checked={chosen(a.name, v.value)} onChange={() => setParams(toggleParam(params, a.name, v.value))} />
                      {v.value} <span className="count">({v.count})</span>
                    </label>
                  ))}
                </div>
              </fieldset>
            ))}
            <fieldset>
              <legend>Price</legend>
              <div className="price-inputs">
                <label>Min <input inputMode="decimal" value={minText} onChange={(e) => setMinText(e.target.value)} onBlur={applyPrice}
                  placeholder={facets.priceRange ? minorToMajorText(facets.priceRange.min.amount, currency) : ''} /></label>
                <label>Max <input inputMode="decimal" value={maxText} onChange={(e) => setMaxText(e.target.value)} onBlur={applyPrice}
                  placeholder={facets.priceRange ? minorToMajorText(facets.priceRange.max.amount, currency) : ''} /></label>
              </div>
              {facets.priceRange && (
                <p className="muted small">From {formatMoney(facets.priceRange.min)} to {formatMoney(facets.priceRange.max)}</p>
              )}
              <button type="submit" className="btn btn-small">Apply price</button>
            </fieldset>
          </form>
        )}
        </details>
      </aside>
      <section className="catalog-main" aria-labelledby="catalog-title">
        <div className="catalog-bar">
          <h1 id="catalog-title">{title}</h1>
          <div className="catalog-controls">
            <label className="search">
              <span className="sr-only">Search products</span>
              <input type="search" placeholder="Search products" value={search} onChange={(e) => setSearch(e.target.value)} />
            </label>
            <label>
              <span className="sr-only">Sort by</span>
              <select value={sortBy} onChange={(e) => setParams(setParam(params, 'sort', e.target.value))}>
                {SORTS.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
              </select>
            </label>
          </div>
        </div>
        {res.error && !conn && <ErrorNote message={requestErrorMessage(res.error) ?? ''} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
        {!conn && !res.error && <Loading label="Loading products…" />}
        {conn && (
          <>
            <p className="muted" aria-live="polite">{conn.totalCount} {conn.totalCount === 1 ? 'product' : 'products'}</p>
            {conn.searchInfo?.correctedQuery && (
              <p className="search-note" data-testid="search-corrected">
                Showing results for <strong>{conn.searchInfo.correctedQuery}</strong>; no products match “{conn.searchInfo.query}”.
              </p>
            )}
            {conn.searchInfo && conn.searchInfo.usedSynonyms.length > 0 && (
              <p className="muted small" data-testid="search-synonyms">
                Also showing {conn.searchInfo.usedSynonyms.map((u) => u.synonyms.map((s) => `“${s}”`).join(', ')).join('; ')}.
              </p>
            )}
            {conn.edges.length === 0 ? (
              <p>Nothing matches. Try fewer filters or another word.</p>
            ) : (
              <ul className={`grid${res.fetching ? ' grid-busy' : ''}`} aria-busy={res.fetching} data-testid="product-grid">
                {conn.edges.map(({ node: p }) => (
                  <li key={p.id} className="card">
                    <Link to={`/products/${p.slug}`} className="card-link">
                      <ProductImage image={p.featuredImage} name={p.name} width={400} lazy />
                      <span className="card-brand">{p.brand}</span>
                      <span className="card-name">{p.name}</span>
                      <span className="card-price">
                        {p.priceRange.min.amount === p.priceRange.max.amount ? formatMoney(p.priceRange.min) : `from ${formatMoney(p.priceRange.min)}`}
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
            {conn.pageInfo.hasNextPage && conn.pageInfo.endCursor && (
              <button type="button" className="btn load-more" disabled={res.fetching}
                onClick={() => setAfter({ key: filterKey, cursor: conn.pageInfo.endCursor ?? '' })}>
                {res.fetching ? 'Loading…' : 'Load more'}
              </button>
            )}
          </>
        )}
      </section>
    </div>
  );
}
