import { expect, test } from "vitest";
import type { LocalStack } from "../../local/stack.js";
import { drainQueue } from "../helpers/emulators.js";
import { localStackForTests, memberClicks } from "../helpers/stack.js";

/** The code one member's click earns on a local stack started afresh. */
async function codeOnAFreshStack(): Promise<string> {
  const stack: LocalStack = await localStackForTests();
  try {
    const { sqs } = stack.clients;
    await memberClicks(stack);
    const [coupon] = (await drainQueue(sqs, stack.outputs.PromoQueueUrl, 500)).map(
      (m) => JSON.parse(m.Body ?? "{}") as { couponCode: string },
    );
    if (!coupon) throw new Error("no coupon was issued");
    return coupon.couponCode;
  } finally {
    await stack.stop();
  }
}

test("two local stacks started afresh — two deployments, two secrets — give the same member different codes", async () => {
  const first = await codeOnAFreshStack();
  const second = await codeOnAFreshStack();
  expect(first).toMatch(/^TW10-[0-9A-F]{16}$/);
  expect(second).toMatch(/^TW10-[0-9A-F]{16}$/);
  expect(second).not.toBe(first);
});
