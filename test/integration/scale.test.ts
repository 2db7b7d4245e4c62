import { expect, test } from "vitest";
import { measureScale, type ScalePlan, scaleVerdicts } from "../../bench/scale.js";
import { SHARED_DYNAMODB_ENV } from "../../local/emulators/emulators.js";

// SPEC §10's deterministic part, held in CI: what a record costs in DynamoDB (its consumed
// capacity, as the table reports it) does not change with the number of shards or after ten
// reshards, no item passes one write unit, and every item has one writer. The benchmark
// (`npm run bench:scale`) runs the same measurement from 1 to 256 shards.

const endpoint = () => {
  const url = process.env[SHARED_DYNAMODB_ENV];
  if (!url)
    throw new Error(`${SHARED_DYNAMODB_ENV} is not set: the stack project's global setup starts DynamoDB Local`);
  return url;
};

test.each(["readings", "conversions"] as const)(
  "%s: cost per record the same at 2 and 16 shards and after 10 reshards; items within 1 KB, one writer each",
  async (app) => {
    const plans: ScalePlan[] = [
      ...[2, 16].map((shards) => ({ app, shards })),
      { app, shards: 2, history: 10 },
      { app, shards: 2, history: 10, reshard: true },
    ];
    const rows = [];
    for (const plan of plans) rows.push(await measureScale(endpoint(), { ...plan, rounds: 1 }));
    const verdicts = scaleVerdicts(rows);
    expect(verdicts.length).toBeGreaterThanOrEqual(3);
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
    for (const row of rows) {
      expect(row.maxWritersPerItem).toBe(1);
      expect(row.largestItemBytes).toBeLessThanOrEqual(1024);
    }
  },
);

test("the zone item without the stream's lineage grows past one write unit across 10 reshards (what the lineage prevents)", async () => {
  const row = await measureScale(endpoint(), {
    app: "readings",
    shards: 2,
    history: 10,
    reshard: true,
    lineage: false,
    rounds: 1,
  });
  expect(row.largestItemBytes).toBeGreaterThan(1024);
  expect(row.writeUnitsPerRecord).toBeGreaterThan(0.1);
});
