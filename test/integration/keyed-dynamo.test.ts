import fc from "fast-check";
import { describe, test } from "vitest";
import { DynamoKeyedStore } from "../../core/keyed-store.js";
import { createTable } from "../../local/cloudformation/deploy.js";
import { emulatorsForFile } from "../helpers/emulators.js";
import { checkExactlyOnce, deliveries, KEYED_APPS } from "../helpers/keyed-apps.js";

// The generic exactly-once property once against DynamoDB itself: the conditional writes, the
// version lock and the outbox as the DynamoDB adapter makes them, a fresh table per run.

const file = emulatorsForFile();

let tables = 0;
describe.each(KEYED_APPS)("$name on the exactly-once core, against DynamoDB", (under) => {
  test("redelivered, raced and crashing batches give one delivery's effects", async () => {
    await fc.assert(
      fc.asyncProperty(under.events, deliveries, async (events, plan) => {
        const fresh = async () => {
          const table = `keyed-${under.name}-${++tables}`;
          await createTable(file.clients.dynamodb, table, {
            BillingMode: "PAY_PER_REQUEST",
            AttributeDefinitions: [{ AttributeName: under.keyAttribute, AttributeType: "S" }],
            KeySchema: [{ AttributeName: under.keyAttribute, KeyType: "HASH" }],
          });
          return new DynamoKeyedStore<unknown, unknown>(file.clients.documents, table, under.keyAttribute, under.codec);
        };
        const [plain, tested] = [await fresh(), await fresh()];
        const stores = [plain, tested];
        await checkExactlyOnce(under, events, plan, () => stores.shift() as DynamoKeyedStore<unknown, unknown>);
      }),
      { numRuns: 8 },
    );
  });
});
