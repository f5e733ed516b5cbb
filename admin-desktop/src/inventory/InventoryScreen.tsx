/**
 * Every variant with its stock: search (debounced), location, low-stock-only, sort;
 * virtualised rows, pages loaded on scroll; live updates with a brief highlight.
 * Keyboard: arrows/PageUp/PageDown/Home/End move, Enter opens, `/` or Ctrl+K searches.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useDebounced, useQuery } from "../api/hooks";
import { StockLocationsQuery } from "./operations";
import { SORTS, sortRows, variantLabel, type SortKey } from "./model";
import { PAGE, useInventory } from "./useInventory";
import { VariantPanel, type OrderRef } from "./VariantPanel";

const ROW_HEIGHT = 34;

export function InventoryScreen(props: {
  /** Changes when another screen asks for low stock only (Home's link). */
  lowStockAsk?: number;
  onOpenOrder: (order: OrderRef) => void;
  notify: (msg: string) => void;
}) {
  const [search, setSearch] = useState("");
  const [locationId, setLocationId] = useState("");
  const [lowOnly, setLowOnly] = useState(false);
  const [sort, setSort] = useState<SortKey>("sku");
  const [active, setActive] = useState(0);
  const [openId, setOpenId] = useState<string | null>(null);
  const debounced = useDebounced(search.trim(), 250);
  const locations = useQuery(StockLocationsQuery, {});
  const locs = locations.data?.stockLocations ?? [];

  useEffect(() => {
    if (props.lowStockAsk) setLowOnly(true);
  }, [props.lowStockAsk]);

  const filter = useMemo(
    () => ({
      ...(debounced ? { search: debounced } : {}),
      ...(locationId ? { locationId } : {}),
      ...(lowOnly ? { lowStock: true } : {}),
    }),
    [debounced, locationId, lowOnly],
  );
  const list = useInventory(filter, sort !== "sku");
  const rows = useMemo(() => sortRows(list.rows, sort), [list.rows, sort]);
  const openRow = openId ? list.rows.find((r) => r.variant.id === openId) : undefined;

  const searchRef = useRef<HTMLInputElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({
    count: rows.length,
    getScrollElement: () => gridRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virt.getVirtualItems();
  const lastIndex = items.length ? (items[items.length - 1]?.index ?? 0) : 0;

  // Paged loading: fetch the next page when the view nears the end.
  useEffect(() => {
    if (list.hasMore && !list.loading && lastIndex >= rows.length - PAGE) list.loadMore();
  }, [lastIndex, rows.length, list]);

  useEffect(() => setActive(0), [filter, sort]);

  // `/` or Ctrl+K focuses the search box from anywhere on this screen.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
      if ((e.key === "k" && (e.ctrlKey || e.metaKey)) || (e.key === "/" && !typing)) {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  function move(to: number) {
    const i = Math.max(0, Math.min(rows.length - 1, to));
    setActive(i);
    virt.scrollToIndex(i, { align: "auto" });
  }

  function onGridKey(e: KeyboardEvent) {
    const page = Math.max(1, Math.floor((gridRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(active + 1),
      ArrowUp: () => move(active - 1),
      PageDown: () => move(active + page),
      PageUp: () => move(active - page),
      Home: () => move(0),
      End: () => move(rows.length - 1),
      Enter: () => {
        const r = rows[active];
        if (r) setOpenId(r.variant.id);
      },
      Escape: () => setOpenId(null),
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  }

  const activeRow = rows[active];
  const now = Date.now();
  return (
    <div className={openRow ? "inventory with-panel" : "inventory"}>
      <div className="inventory-main">
        <div className="toolbar" role="search">
          <input
            ref={searchRef}
            type="search"
            placeholder="Search SKU or product  ( / or Ctrl+K )"
            aria-label="Search SKU or product"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown" || e.key === "Enter") {
                e.preventDefault();
                gridRef.current?.focus();
                if (e.key === "Enter" && rows.length === 1 && rows[0]) setOpenId(rows[0].variant.id);
              }
            }}
            data-testid="inventory-search"
          />
          <select aria-label="Location" value={locationId} onChange={(e) => setLocationId(e.target.value)}>
            <option value="">All locations</option>
            {locs.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
          <label className="check">
            <input type="checkbox" checked={lowOnly} onChange={(e) => setLowOnly(e.target.checked)} /> Low stock only
          </label>
          <label className="check">
            Sort{" "}
            <select aria-label="Sort" value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
              {SORTS.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <span className="muted count" aria-live="polite" data-testid="inventory-count">
            {rows.length}
            {list.hasMore ? "+" : ""} variants{list.loading ? " · loading…" : ""}
            {sort !== "sku" && list.hasMore ? " · loading all to sort" : ""}
          </span>
        </div>
        {list.error ? (
          <p className="form-error" role="alert">
            {list.error}{" "}
            <button type="button" onClick={list.reload}>
              Try again
            </button>
          </p>
        ) : null}
        <div className="grid-head" role="presentation">
          <span className="c-sku">SKU</span>
          <span className="c-product">Product</span>
          <span className="c-variant">Variant</span>
          <span className="c-num">On hand</span>
          <span className="c-num">Reserved</span>
          <span className="c-num">Available</span>
          <span className="c-locs">By location (on hand / reserved)</span>
        </div>
        <div
          ref={gridRef}
          className="grid"
          role="grid"
          aria-label="Inventory"
          aria-rowcount={rows.length}
          tabIndex={0}
          onKeyDown={onGridKey}
          aria-activedescendant={activeRow ? `row-${active}` : undefined}
          data-testid="inventory-grid"
        >
          <div style={{ height: virt.getTotalSize(), position: "relative" }}>
            {items.map((vi) => {
              const r = rows[vi.index];
              if (!r) return null;
              const flash = (list.flashes.get(r.variant.id) ?? 0) > now - 1500;
              const cls = ["row", vi.index === active ? "active" : "", r.lowStock ? "low" : "", flash ? "flash" : ""]
                .filter(Boolean)
                .join(" ");
              return (
                <div
                  key={r.variant.id}
                  id={`row-${vi.index}`}
                  role="row"
                  aria-rowindex={vi.index + 1}
                  aria-selected={vi.index === active}
                  className={cls}
                  data-sku={r.sku}
                  style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${vi.start}px)` }}
                  onClick={() => setActive(vi.index)}
                  onDoubleClick={() => setOpenId(r.variant.id)}
                >
                  <span role="gridcell" className="c-sku">
                    <button type="button" className="link" tabIndex={-1} onClick={() => setOpenId(r.variant.id)}>
                      {r.sku}
                    </button>
                  </span>
                  <span role="gridcell" className="c-product" title={r.product.name}>
                    {r.product.name}
                  </span>
                  <span role="gridcell" className="c-variant">
                    {variantLabel(r)}
                  </span>
                  <span role="gridcell" className="c-num" data-col="onHand">
                    {r.onHand}
                  </span>
                  <span role="gridcell" className="c-num" data-col="reserved">
                    {r.reserved}
                  </span>
                  <span role="gridcell" className="c-num" data-col="available">
                    {r.available}
                    {r.lowStock ? (
                      <span className="badge low" title={`Low stock: at most ${r.lowStockThreshold} available`}>
                        low
                      </span>
                    ) : null}
                  </span>
                  <span role="gridcell" className="c-locs">
                    {r.levels.length === 0 ? <span className="not-stocked">not stocked</span> : null}
                    {r.levels.map((l) => (
                      <span key={l.location.id} className="loc">
                        {l.location.code} {l.onHand}/{l.reserved}
                      </span>
                    ))}
                  </span>
                </div>
              );
            })}
          </div>
          {rows.length === 0 && !list.loading && !list.error ? (
            <p className="empty">{debounced || lowOnly ? "No variants match." : "No variants yet."}</p>
          ) : null}
        </div>
      </div>
      {openRow ? (
        <VariantPanel
          key={openRow.variant.id}
          row={openRow}
          locations={locs}
          onClose={() => {
            setOpenId(null);
            gridRef.current?.focus();
          }}
          onLevel={(l) => list.patchLevel(openRow.variant.id, l)}
          onOpenOrder={props.onOpenOrder}
          notify={props.notify}
        />
      ) : null}
    </div>
  );
}
