// The cost and speed targets the issues set, in one place: `npm run bench` prints each as ✓ or ✗,
// and CI holds the deterministic ones (requests and write units) on the benchmark's own workloads.

export const TARGETS = {
  /** DynamoDB requests per record at batch 100. */
  requestsPerRecord: { readings: 0.12, conversions: 0.08 },
  /** How many times fewer requests than the per-record baseline, at batch 100. */
  fewerThanBaseline: { readings: 15, conversions: 5 },
  /** Write units per record at batch 100. Conversions: what they cost when each enrolment was a
   * conditional UpdateItem (989cb8f) — putting enrolments in bulk must not cost more. */
  writeUnitsPerRecord: { readings: 0.06, conversions: 0.294 },
  /** Dollars per million conversions at batch 100, list prices (issue #24). */
  dollarsPerMillion: { conversions: 0.25 },
  /** A full 500-reading zone item: one write unit. */
  zoneItemBytes: 1024,
  /** Decode + decide on one core, records/s (conversions: issue #30). */
  decidePerSecond: { readings: 200_000, conversions: 300_000 },
  /** Put to effect at 500 records/s on the local stack, polling once a second as Lambda does (SPEC §10). */
  latencyP99Ms: 2000,
  /** End-to-end records/s at batch 1,000 over the baseline's. */
  speedupAtBatch1000: 3,
  /** SPEC §10: what a record costs holds as the stream grows (bench/scale.ts). */
  scale: {
    /** Write units and DynamoDB dollars per record, from 2 to 256 shards and after 10 reshards, within this share of 2 shards'. */
    withinOf2Shards: 0.1,
    /** No item above one write unit after 10 reshards. */
    itemBytesAfterReshards: 1024,
    /** One partition takes 1,000 write units a second: the hottest item stays below, at 256 shards × a batch a second. */
    hottestItemWriteUnitsPerSecond: 1000,
  },
} as const;
