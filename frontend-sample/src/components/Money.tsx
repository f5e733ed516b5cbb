import { formatMoney, type MoneyLike } from '../lib/money';

export function Money({ value }: { value: MoneyLike }) {
  return <>{formatMoney(value)}</>;
}

export function Price({ price, compareAt }: { price: MoneyLike; compareAt?: MoneyLike | null }) {
  if (compareAt && compareAt.amount > price.amount) {
    return (
      <span className="price">
        <span className="price-sale">{formatMoney(price)}</span>{' '}
        <s className="price-was" aria-label={`was ${formatMoney(compareAt)}`}>{formatMoney(compareAt)}</s>
      </span>
    );
  }
  return <span className="price">{formatMoney(price)}</span>;
}
