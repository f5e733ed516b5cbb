/**
 * The live failed-payment queue (`paymentIssueChanged`): the counts after every
 * change, and which kinds of list changed. SNAPSHOT and RESYNC mean "reload".
 */
import { useEffect, useRef } from "react";
import { subscribe } from "../api/live";
import { graphql } from "../gql";
import type { PaymentIssueChangesSubscription } from "../gql/graphql";

export const PaymentIssueChanges = graphql(`
  subscription PaymentIssueChanges {
    paymentIssueChanged {
      kind
      counts { kind count }
      orderId
      issueKind
      previousIssueKind
      at
    }
  }
`);

export type IssueUpdate = PaymentIssueChangesSubscription["paymentIssueChanged"];

/** Calls `onUpdate` for every message while mounted. */
export function usePaymentIssueFeed(onUpdate: (u: IssueUpdate) => void): void {
  const ref = useRef(onUpdate);
  ref.current = onUpdate;
  useEffect(() => subscribe(PaymentIssueChanges, {}, { next: (d) => ref.current(d.paymentIssueChanged) }), []);
}

/** Whether an update changes the list of `kind` (so it must be reloaded). */
export function touchesKind(u: IssueUpdate, kind: string): boolean {
  return u.kind !== "CHANGE" || u.issueKind === kind || u.previousIssueKind === kind;
}
