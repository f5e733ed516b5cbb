import { graphql } from "../gql";

export const HomeQuery = graphql(`
  query Home($from: DateTime!, $to: DateTime!) {
    paymentIssueCounts { kind count }
    lowStock: inventory(filter: { lowStock: true }, first: 8) {
      pageInfo { hasNextPage }
      nodes { sku available lowStockThreshold product { name } variant { id title attributes { name value } } }
    }
    salesSummary(from: $from, to: $to) {
      revenue { formatted }
      orders
      units
      averageOrderValue { formatted }
    }
  }
`);
