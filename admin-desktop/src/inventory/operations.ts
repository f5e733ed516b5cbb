import { graphql } from "../gql";

export const InventoryRowFragment = graphql(`
  fragment InventoryRow on InventoryItem {
    sku
    onHand
    reserved
    available
    lowStock
    lowStockThreshold
    product { id name }
    variant { id title attributes { name value } }
    levels { onHand reserved available version updatedAt location { id code name } }
  }
`);

export const InventoryQuery = graphql(`
  query Inventory($filter: InventoryFilter, $first: Int, $after: String) {
    inventory(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...InventoryRow }
    }
  }
`);

export const StockLocationsQuery = graphql(`
  query StockLocations { stockLocations { id code name priority } }
`);

export const InventoryEventsSubscription = graphql(`
  subscription InventoryEvents($locationId: ID) {
    inventoryEvents(locationId: $locationId) {
      id
      reason
      onHandAfter
      reservedAfter
      availableAfter
      versionAfter
      at
      location { id code name }
      variant { id }
    }
  }
`);

export const VariantStockQuery = graphql(`
  query VariantStock($id: ID!) {
    node(id: $id) {
      ... on Variant {
        id
        sku
        title
        attributes { name value }
        product { id name }
        lowStockThreshold { value isDefault }
        stockLevels { onHand reserved available version updatedAt location { id code name } }
      }
    }
  }
`);

export const StockMovementFields = graphql(`
  fragment MovementFields on StockMovement {
    id
    reason
    deltaOnHand
    deltaReserved
    onHandAfter
    reservedAfter
    availableAfter
    versionAfter
    note
    at
    location { id code name }
    actor { type user { id name email } }
    reference { type id order { id number } }
  }
`);

export const StockMovementsQuery = graphql(`
  query StockMovements($variantId: ID!, $locationId: ID, $first: Int, $after: String) {
    stockMovements(variantId: $variantId, locationId: $locationId, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...MovementFields }
    }
  }
`);

export const InventoryAdjustMutation = graphql(`
  mutation InventoryAdjust($input: InventoryAdjustInput!) {
    inventoryAdjust(input: $input) {
      stockLevel { onHand reserved available version updatedAt location { id code name } }
      userErrors { code field message currentVersion }
    }
  }
`);

export const InventoryTransferMutation = graphql(`
  mutation InventoryTransfer($input: InventoryTransferInput!) {
    inventoryTransfer(input: $input) {
      from { onHand reserved available version location { id code name } }
      to { onHand reserved available version location { id code name } }
      userErrors { code field message }
    }
  }
`);

export const LowStockThresholdMutation = graphql(`
  mutation LowStockThresholdSet($variantId: ID!, $threshold: Int) {
    lowStockThresholdSet(variantId: $variantId, threshold: $threshold) {
      lowStockThreshold { value isDefault }
      userErrors { code field message }
    }
  }
`);
