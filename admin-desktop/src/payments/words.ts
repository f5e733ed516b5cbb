import type { OrderStatus, PaymentIssueKind } from "../gql/graphql";

export const KINDS: { kind: PaymentIssueKind; label: string; help: string }[] = [
  { kind: "FAILED", label: "Failed", help: "The card was declined or the payment failed; stock was released." },
  { kind: "REQUIRES_ACTION", label: "Needs buyer action", help: "The buyer must authenticate (3-D Secure)." },
  { kind: "STUCK_PENDING", label: "Stuck pending", help: "Waiting for payment much longer than usual." },
  { kind: "PAID_WITHOUT_STOCK", label: "Paid, no stock", help: "Money arrived but the stock was gone." },
  { kind: "PAID_TWICE", label: "Paid twice", help: "A second attempt also took money." },
];

export function kindLabel(k: PaymentIssueKind): string {
  return KINDS.find((x) => x.kind === k)?.label ?? k;
}

export function statusText(s: OrderStatus | string): string {
  return s
    .toLowerCase()
    .split("_")
    .join(" ")
    .replace(/^./, (c) => c.toUpperCase());
}

export function actorTypeText(t: string): string {
  switch (t) {
    case "STAFF":
      return "staff";
    case "CUSTOMER":
      return "customer";
    case "GUEST":
      return "guest";
    case "GATEWAY":
      return "payment gateway";
    default:
      return "system";
  }
}
