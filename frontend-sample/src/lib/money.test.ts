import { describe, expect, it } from 'vitest';
import { formatMoney, minorToMajorText, parseMajorToMinor } from './money';

describe('formatMoney', () => {
  it('formats minor units by the currency digits', () => {
    expect(formatMoney({ amount: 4999, currencyCode: 'USD' })).toBe('$49.99');
    expect(formatMoney({ amount: 5, currencyCode: 'USD' })).toBe('$0.05');
    expect(formatMoney({ amount: 0, currencyCode: 'USD' })).toBe('$0.00');
    expect(formatMoney({ amount: 123456, currencyCode: 'USD' })).toBe('$1,234.56');
    expect(formatMoney({ amount: 1500, currencyCode: 'JPY' })).toBe('¥1,500');
    expect(formatMoney({ amount: 1500, currencyCode: 'EUR' }, 'de-DE')).toBe('15,00\u00a0€');
  });
  it('refuses fractional minor units', () => {
    expect(() => formatMoney({ amount: 49.5, currencyCode: 'USD' })).toThrow();
  });
});

describe('price box parsing', () => {
  it('turns typed prices into minor units without floats', () => {
    expect(parseMajorToMinor('49.99', 'USD')).toBe(4999);
    expect(parseMajorToMinor('0.1', 'USD')).toBe(10);
    expect(parseMajorToMinor('20', 'USD')).toBe(2000);
    expect(parseMajorToMinor('1.005', 'USD')).toBeNull();
    expect(parseMajorToMinor('abc', 'USD')).toBeNull();
    expect(parseMajorToMinor('', 'USD')).toBeNull();
    expect(parseMajorToMinor('300', 'JPY')).toBe(300);
  });
  it('shows minor units in a price box', () => {
    expect(minorToMajorText(4999, 'USD')).toBe('49.99');
    expect(minorToMajorText(5, 'USD')).toBe('0.05');
    expect(minorToMajorText(300, 'JPY')).toBe('300');
  });
});
