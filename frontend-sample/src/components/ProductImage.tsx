import { useState } from 'react';

export type ImageData = { url: string; altText: string };

/** Up to two letters for a placeholder: the first letter of the first two words. */
export function initials(name: string): string {
  const letters = name
    .split(/\s+/)
    .map((word) => /[\p{L}\p{N}]/u.exec(word)?.[0])
    .filter((c): c is string => !!c);
  return letters.slice(0, 2).join('').toLocaleUpperCase();
}

/**
 * A product's picture, or a placeholder of the same size when it has none (or its
 * file does not load): a neutral tile with a garment outline and the product's
 * initials, drawn inline (no request). The placeholder adds nothing a screen reader
 * needs (the product's name is always next to it), so it is hidden from them.
 *
 * `width` and `height` are the box the page gives the picture (the demo pictures are
 * 4:5; a card crops to a square); the placeholder fills the same box. `decorative`
 * pictures get an empty alt (where the name is already said, e.g. a cart line); the
 * others the image's own alt text.
 */
export function ProductImage({
  image,
  name,
  width,
  height = width,
  decorative = false,
  lazy = false,
}: {
  image: ImageData | null | undefined;
  name: string;
  width: number;
  height?: number;
  decorative?: boolean;
  lazy?: boolean;
}) {
  const [failed, setFailed] = useState<string | null>(null);
  if (image && failed !== image.url) {
    return (
      <img src={image.url} alt={decorative ? '' : image.altText} width={width} height={height}
        loading={lazy ? 'lazy' : undefined} onError={() => setFailed(image.url)} />
    );
  }
  return (
    <div className="img-missing" aria-hidden="true" data-testid="image-placeholder"
      style={{ aspectRatio: `${width} / ${height}` }}>
      <svg viewBox="0 0 100 100" preserveAspectRatio="xMidYMid meet" focusable="false">
        <path className="img-missing-garment"
          d="M39.6 24.3 L44.2 22 Q50 26.6 55.8 22 L60.4 24.3 L70.9 32.4 L66.2 41.7 L62.2 39.4 L62.2 80 L37.8 80 L37.8 39.4 L33.8 41.7 L29.1 32.4 Z" />
        <text x="50" y="63" textAnchor="middle" className="img-missing-initials">{initials(name)}</text>
      </svg>
    </div>
  );
}
