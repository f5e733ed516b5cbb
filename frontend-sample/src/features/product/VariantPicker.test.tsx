import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { VariantPicker } from './VariantPicker';
import { findVariant, initialSelection, stockLabel, valueState } from '../../lib/variants';

const v = (id: string, color: string, size: string, inStock: boolean) => ({
  id,
  inStock,
  attributes: [{ name: 'color', value: color }, { name: 'size', value: size }],
});
// Navy in S/M (M sold out), White only in M: White/S is not made.
const variants = [v('1', 'Navy', 'S', true), v('2', 'Navy', 'M', false), v('3', 'White', 'M', true)];
const options = [{ name: 'color', values: ['Navy', 'White'] }, { name: 'size', values: ['S', 'M'] }];

describe('variant logic', () => {
  it('finds the variant of a full selection', () => {
    expect(findVariant(variants, { color: 'White', size: 'M' }, ['color', 'size'])?.id).toBe('3');
    expect(findVariant(variants, { color: 'White', size: 'S' }, ['color', 'size'])).toBeUndefined();
    expect(findVariant(variants, { color: 'White' }, ['color', 'size'])).toBeUndefined();
  });
  it('marks sold out and unavailable combinations', () => {
    expect(valueState(variants, { color: 'Navy', size: 'S' }, 'size', 'M')).toBe('soldOut');
    expect(valueState(variants, { color: 'White', size: 'M' }, 'size', 'S')).toBe('unavailable');
    expect(valueState(variants, { color: 'White', size: 'M' }, 'color', 'Navy')).toBe('soldOut');
    expect(valueState(variants, { color: 'Navy', size: 'S' }, 'color', 'White')).toBe('unavailable');
    expect(valueState(variants, { color: 'Navy', size: 'M' }, 'size', 'S')).toBe('available');
  });
  it('starts on an in-stock variant', () => {
    expect(initialSelection([variants[1]!, variants[2]!])).toEqual({ color: 'White', size: 'M' });
  });
  it('words stock for shoppers', () => {
    expect(stockLabel(0)).toBe('Sold out');
    expect(stockLabel(3)).toBe('Only 3 left');
    expect(stockLabel(40)).toBe('In stock');
  });
});

describe('<VariantPicker>', () => {
  it('shows every value, marks the unavailable ones, and reports choices', () => {
    const onChange = vi.fn();
    render(<VariantPicker options={options} variants={variants} selection={{ color: 'White', size: 'M' }} onChange={onChange} />);
    const s = screen.getByRole('radio', { name: /^S/ });
    expect(s.textContent).toContain('(unavailable)');
    expect(s.className).toContain('chip-unavailable');
    const navy = screen.getByRole('radio', { name: /Navy/ });
    expect(navy.textContent).toContain('(sold out)');
    expect(screen.getByRole('radio', { name: /White/ }).getAttribute('aria-checked')).toBe('true');
    fireEvent.click(s);
    expect(onChange).toHaveBeenCalledWith('size', 'S');
  });
});
