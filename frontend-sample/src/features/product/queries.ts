import { graphql } from '../../gql';

export const ProductQuery = graphql(`
  query Product($slug: String!) {
    product(slug: $slug) {
      id slug name brand description
      images { url altText }
      options { name values }
      categories { id slug name }
      variants {
        id sku title
        attributes { name value }
        price { ...MoneyFields }
        compareAtPrice { ...MoneyFields }
        availableQuantity
        inStock
      }
    }
  }
`);

/** Live availability; messages land in the cache (see api/client.ts). */
export const StockChangedSubscription = graphql(`
  subscription StockChanged($ids: [ID!]!) {
    stockChanged(variantIds: $ids) { variantId availableQuantity inStock stockVersion at kind }
  }
`);
