import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { ProductQuery, StockChangedSubscription } from './queries';
import { VariantPicker } from './VariantPicker';
import { findVariant, initialSelection, stockLabel } from '../../lib/variants';
import { Price } from '../../components/Money';
import { ErrorNote, Loading } from '../../components/Status';
import { ProductImage } from '../../components/ProductImage';
import { requestErrorMessage, sentence, userErrorMessage } from '../../lib/errors';
import { useRefetchOnReconnect } from '../../api/hooks';
import { CATALOG_GET } from '../../api/client';
import { useCart } from '../cart/useCart';

export function ProductPage() {
  const { slug = '' } = useParams();
  const [res, refetch] = useQuery({ query: ProductQuery, variables: { slug }, context: CATALOG_GET });
  useRefetchOnReconnect(() => refetch({ requestPolicy: 'network-only' }));
  const product = res.data?.product;
  const ids = useMemo(() => (product?.variants ?? []).slice(0, 50).map((v) => v.id), [product?.id]); // per product, not per stock update
  // Live stock: the subscription's messages update the cached variants (see api/client.ts).
  useSubscription({ query: StockChangedSubscription, variables: { ids }, pause: ids.length === 0 });

  const [selection, setSelection] = useState<Record<string, string>>({});
  const [image, setImage] = useState(0);
  useEffect(() => {
    if (product) setSelection(initialSelection(product.variants));
    setImage(0);
  }, [product?.id]); // per product, not per stock update

  const { addLines } = useCart();
  const [qty, setQty] = useState(1);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  if (res.error && !product) return <ErrorNote message={requestErrorMessage(res.error) ?? ''} onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!res.data) return <Loading />;
  if (!product) return <div><h1>Not found</h1><p>This product is not for sale. <Link to="/">Back to the shop</Link></p></div>;

  const optionNames = product.options.map((o) => o.name);
  const variant = findVariant(product.variants, selection, optionNames);
  const img = product.images[image] ?? product.images[0];

  const add = async () => {
    if (!variant) return;
    setBusy(true);
    setMessage(null);
    const r = await addLines([{ variantId: variant.id, quantity: qty }]);
    setBusy(false);
    const err = r.errors[0];
    if (r.failure) setMessage({ kind: 'error', text: r.failure });
    else if (err?.code === 'OUT_OF_STOCK') {
      // The live count may not have caught up with the sale that beat us: trust it
      // only when it explains the refusal, else say what the server said.
      const left = variant.availableQuantity;
      setMessage({
        kind: 'error',
        text: left > 0 && left < qty
          ? `Only ${left} left, so ${qty} could not be added. Lower the quantity and try again.`
          : `Sorry, someone else just took ${left > 0 ? 'what was left' : 'the last one'}: ${sentence(err.message).replace(/^./, (c) => c.toLowerCase())} Nothing was added to your cart.`,
      });
    } else if (err) setMessage({ kind: 'error', text: userErrorMessage(err) });
    else setMessage({ kind: 'ok', text: `Added ${qty} × ${product.name} (${variant.title}) to your cart. It is held for you for a while.` });
  };

  return (
    <article className="product">
      <div className="product-media">
        <ProductImage image={img} name={product.name} width={600} height={750} />
        {product.images.length > 1 && (
          <div className="thumbs">
            {product.images.map((im, i) => (
              <button key={im.url} type="button" className={`thumb${i === image ? ' thumb-on' : ''}`} onClick={() => setImage(i)} aria-label={`Show image ${i + 1}: ${im.altText}`} aria-pressed={i === image}>
                <img src={im.url} alt="" width="72" height="72" />
              </button>
            ))}
          </div>
        )}
      </div>
      <div className="product-info">
        <nav aria-label="Breadcrumb" className="muted small">
          <Link to="/">Shop</Link>
          {product.categories[0] && <> / <Link to={`/?category=${product.categories[0].slug}`}>{product.categories[0].name}</Link></>}
        </nav>
        <p className="card-brand">{product.brand}</p>
        <h1>{product.name}</h1>
        {variant ? (
          <p className="product-price"><Price price={variant.price} compareAt={variant.compareAtPrice} /></p>
        ) : null}
        <VariantPicker options={product.options} variants={product.variants} selection={selection}
          onChange={(name, value) => { setSelection((s) => ({ ...s, [name]: value })); setMessage(null); }} />
        <p className={`stock ${variant && !variant.inStock ? 'stock-out' : ''}`} data-testid="stock" aria-live="polite">
          {variant ? stockLabel(variant.availableQuantity) : 'This combination is not made. Choose another.'}
        </p>
        <div className="buy">
          <label>
            Quantity{' '}
            <input type="number" min={1} max={10} value={qty} onChange={(e) => setQty(Math.max(1, Math.min(10, Number(e.target.value) || 1)))} className="qty" />
          </label>
          <button type="button" className="btn btn-primary" onClick={() => void add()} disabled={!variant || !variant.inStock || busy}>
            {busy ? 'Adding…' : variant && !variant.inStock ? 'Sold out' : 'Add to cart'}
          </button>
        </div>
        {message && (
          <p data-testid="add-result" className={`note ${message.kind === 'ok' ? 'note-ok' : 'note-error'}`} role={message.kind === 'ok' ? 'status' : 'alert'}>
            {message.text} {message.kind === 'ok' && <Link to="/cart">View cart</Link>}
          </p>
        )}
        <div className="description">
          {product.description.split(/\n{2,}/).map((para, i) => <p key={i}>{para}</p>)}
        </div>
      </div>
    </article>
  );
}
