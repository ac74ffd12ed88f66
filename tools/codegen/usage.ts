// How a strict TypeScript client uses the generated types: tsc --strict fails here when the
// schema or an example operation changes what a client reads (a field gone, a type changed,
// a non-null field made nullable).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

import {
  CodeLookupDocument,
  RecentCouponsDocument,
  RedeemCodeDocument,
  type CodeLookupQuery,
  type Reason,
  type RecentCouponsQuery,
  type RedeemCodeMutation,
} from "./generated/graphql";

/** POSTs one operation to the service and answers its typed data (GraphQL over HTTP). */
export async function execute<Result, Variables>(
  url: string,
  token: string,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: { message: string }[] };
  if (body.errors !== undefined || body.data === undefined) {
    throw new Error(body.errors?.map((error) => error.message).join("; ") ?? "no data");
  }
  return body.data;
}

/** One line per coupon: totalCount is a number (non-null), the site may be out of scope. */
export function couponLines(data: RecentCouponsQuery): string[] {
  const total: number = data.coupons.totalCount;
  return data.coupons.nodes.map((coupon) => {
    const site = coupon.site?.name ?? "(site not visible)";
    const percentage: string | null | undefined = coupon.terms.percentage;
    const codes = coupon.codes.nodes.map((code) => `${code.code} x${code.timesUsed}`);
    return `${coupon.name} at ${site} (${percentage ?? "fixed"}%, of ${total}): ${codes.join(", ")}`;
  });
}

/** What a checkout shows for a refused code. */
export function refusal(reason: Reason): string {
  switch (reason) {
    case "EXPIRED":
      return "This code has expired.";
    case "NOT_FOUND":
      return "We do not know this code.";
    default:
      return `This code cannot be used (${reason}).`;
  }
}

export async function redeemAtCheckout(url: string, token: string): Promise<number> {
  const result: RedeemCodeMutation = await execute(url, token, RedeemCodeDocument, {
    code: "WELCOME10",
    siteId: "U2l0ZTox",
    idempotencyKey: "order-1002",
  });
  const answer = result.redeemCode;
  if (!answer.valid && answer.reason) {
    throw new Error(refusal(answer.reason));
  }
  return answer.lines.reduce((sum, line) => sum + line.amount, 0);
}

export async function lookUp(url: string, token: string): Promise<CodeLookupQuery> {
  const [recent, found] = await Promise.all([
    execute(url, token, RecentCouponsDocument, { first: 3 }),
    execute(url, token, CodeLookupDocument, { couponCode: "SPA-SUMMER" }),
  ]);
  couponLines(recent);
  return found;
}
