import { lazy, Suspense } from 'react';
import { BrowserRouter, Link, NavLink, Route, Routes } from 'react-router';
import { SessionProvider, useSession } from './api/session';
import { CatalogPage } from './features/catalog/CatalogPage';
import { useCart } from './features/cart/useCart';
import { Loading } from './components/Status';

// The catalog is the first page; everything else loads when it is visited.
const ProductPage = lazy(() => import('./features/product/ProductPage').then((m) => ({ default: m.ProductPage })));
const CartPage = lazy(() => import('./features/cart/CartPage').then((m) => ({ default: m.CartPage })));
const CheckoutPage = lazy(() => import('./features/checkout/CheckoutPage').then((m) => ({ default: m.CheckoutPage })));
const OrderPage = lazy(() => import('./features/orders/OrderPage').then((m) => ({ default: m.OrderPage })));
const AccountPage = lazy(() => import('./features/account/AccountPage').then((m) => ({ default: m.AccountPage })));
const RecoverPage = lazy(() => import('./features/recovery/RecoverPage').then((m) => ({ default: m.RecoverPage })));

function Header() {
  const { cart } = useCart();
  const { auth } = useSession();
  const count = cart?.itemCount ?? 0;
  return (
    <header className="site-header">
      <a href="#main" className="skip">Skip to content</a>
      <Link to="/" className="logo">Stockade<span> store</span></Link>
      <nav aria-label="Main">
        <NavLink to="/" end>Shop</NavLink>
        <NavLink to="/account">{auth ? 'Account' : 'Sign in'}</NavLink>
        <NavLink to="/cart" data-testid="cart-link">
          Cart <span className="badge" aria-label={`${count} items`}>{count}</span>
        </NavLink>
      </nav>
    </header>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Header />
        <main id="main" className="container">
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route path="/" element={<CatalogPage />} />
              <Route path="/products/:slug" element={<ProductPage />} />
              <Route path="/cart" element={<CartPage />} />
              <Route path="/checkout" element={<CheckoutPage />} />
              <Route path="/orders/:id" element={<OrderPage />} />
              <Route path="/account" element={<AccountPage />} />
              <Route path="/recover/:token" element={<RecoverPage />} />
              <Route path="*" element={<section><h1>Page not found</h1><Link to="/">Back to the shop</Link></section>} />
            </Routes>
          </Suspense>
        </main>
        <footer className="site-footer container muted small">A Stockade sample storefront. Test mode: no real payments.</footer>
      </SessionProvider>
    </BrowserRouter>
  );
}
