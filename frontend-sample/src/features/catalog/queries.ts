import { graphql } from '../../gql';

export const CategoriesQuery = graphql(`
  query Categories {
    categories {
      id slug name
      children { id slug name children { id slug name } }
    }
  }
`);

export const ProductsQuery = graphql(`
  query Products($first: Int!, $after: String, $filter: ProductFilter, $sortBy: ProductSort) {
    products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id slug name brand
          featuredImage { url altText }
          priceRange { min { ...MoneyFields } max { ...MoneyFields } }
        }
      }
      searchInfo { query correctedQuery usedSynonyms { term synonyms } }
      facets {
        brands { value count }
        attributes { name values { value count } }
        priceRange { min { ...MoneyFields } max { ...MoneyFields } }
      }
    }
  }
`);
