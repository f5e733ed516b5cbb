import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { initials, ProductImage } from './ProductImage';

afterEach(cleanup);

const photo = { url: 'https://shop.example/img/trousers.jpg', altText: 'Tailored Wool Trousers in Charcoal' };

describe('initials', () => {
  it('takes the first letter of the first two words', () => {
    expect(initials('Tailored Wool Trousers')).toBe('TW');
    expect(initials('Alder & Co.')).toBe('AC');
    expect(initials('  beanie ')).toBe('B');
    expect(initials('Été 2024 dress')).toBe('É2');
    expect(initials('')).toBe('');
  });
});

describe('<ProductImage>', () => {
  it('shows the picture with its alt text', () => {
    render(<ProductImage image={photo} name="Tailored Wool Trousers" width={400} lazy />);
    const img = screen.getByRole('img', { name: photo.altText });
    expect(img.getAttribute('src')).toBe(photo.url);
    expect(img.getAttribute('width')).toBe('400');
    expect(img.getAttribute('height')).toBe('400');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(screen.queryByTestId('image-placeholder')).toBeNull();
  });

  it('gives a decorative picture an empty alt', () => {
    const { container } = render(<ProductImage image={photo} name="Tailored Wool Trousers" width={80} decorative />);
    expect(container.querySelector('img')?.getAttribute('alt')).toBe('');
    expect(screen.queryByRole('img')).toBeNull();
  });

  it('draws a placeholder of the same size, hidden from screen readers, when there is no picture', () => {
    const { container } = render(<ProductImage image={null} name="Tailored Wool Trousers" width={600} height={750} />);
    const ph = screen.getByTestId('image-placeholder');
    expect(ph.getAttribute('aria-hidden')).toBe('true');
    expect(ph.style.aspectRatio).toBe('600 / 750');
    expect(ph.querySelector('svg')).not.toBeNull();
    expect(ph.textContent).toBe('TW');
    expect(container.querySelector('img')).toBeNull();
    expect(screen.queryByRole('img')).toBeNull();
  });

  it('is square by default', () => {
    render(<ProductImage image={undefined} name="Merino Beanie" width={80} decorative />);
    expect(screen.getByTestId('image-placeholder').style.aspectRatio).toBe('80 / 80');
  });

  it('falls back to the placeholder when the picture does not load, and tries a new one', () => {
    const { container, rerender } = render(<ProductImage image={photo} name="Tailored Wool Trousers" width={400} />);
    fireEvent.error(container.querySelector('img')!);
    expect(screen.getByTestId('image-placeholder').textContent).toBe('TW');
    const other = { url: 'https://shop.example/img/trousers-2.jpg', altText: 'Tailored Wool Trousers in Camel' };
    rerender(<ProductImage image={other} name="Tailored Wool Trousers" width={400} />);
    expect(screen.getByRole('img', { name: other.altText })).toBeTruthy();
  });
});
