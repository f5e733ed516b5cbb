import type { MovementReason } from "../gql/graphql";

export function reasonText(r: MovementReason): string {
  switch (r) {
    case "RESERVE":
      return "reserved";
    case "RELEASE":
      return "released";
    case "EXPIRE":
      return "hold expired";
    case "SALE":
      return "sold";
    case "RESTOCK":
      return "restock";
    case "ADJUSTMENT":
      return "adjustment";
    case "TRANSFER":
      return "transfer";
    case "RETURN":
      return "return";
  }
}

export function actorText(a: { type: string; user?: { name: string; email: string } | null }): string {
  switch (a.type) {
    case "STAFF":
      return a.user ? a.user.name || a.user.email : "staff";
    case "CUSTOMER":
      return a.user ? `customer ${a.user.email}` : "a customer";
    case "GUEST":
      return "a guest shopper";
    case "GATEWAY":
      return "the payment gateway";
    default:
      return "the system";
  }
}
