import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, test } from "vitest";
import { CARD_ENV } from "#apps/cards/app.js";
import { DEFAULT_CARD_RULES } from "#apps/cards/rules.js";
import { APPS, logicalIdOf, STREAM_NAMES, STREAMS } from "#apps/index.js";
import type { AppManifest } from "#apps/manifest.js";
import { parseRules, rulesEnvironment, ZONE_ENV, zoneConfig } from "#apps/zones/config.js";
import { DEFAULT_RULES } from "#apps/zones/rules.js";
import { DEFAULT_EVENT_SOURCE, type EventSourceSettings, eventSources } from "../../infra/event-sources.js";
import { OUTPUT_KEYS } from "../../infra/outputs.js";
import { stageConfig } from "../../infra/stage.js";
import { synthesize } from "../helpers/template.js";

/** What the local runner will do, in the words of AWS::Lambda::EventSourceMapping. */
function asMappingProperties(s: EventSourceSettings) {
  return {
    BatchSize: s.batchSize,
    MaximumBatchingWindowInSeconds: s.maxBatchingWindowSeconds,
    StartingPosition: s.startingPosition,
    BisectBatchOnFunctionError: s.bisectBatchOnError,
    MaximumRetryAttempts: s.retryAttempts,
    MaximumRecordAgeInSeconds: s.maxRecordAgeSeconds,
    FunctionResponseTypes: s.reportBatchItemFailures ? ["ReportBatchItemFailures"] : undefined,
    ParallelizationFactor: s.parallelizationFactor,
  };
}

const LOGICAL: Record<string, string> = Object.fromEntries(STREAM_NAMES.map((name) => [name, logicalIdOf(name)]));

describe.each(["dev", "prod"])("the %s stack", (stage) => {
  const template = synthesize(stage);
  const config = stageConfig(stage);

  test.each(STREAM_NAMES)("the local runner's settings for %s equal the synthesized event source mapping", (name) => {
    const mappings = template.findResources("AWS::Lambda::EventSourceMapping", {
      Properties: { EventSourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp(`^${LOGICAL[name]}Stream`), "Arn"] } },
    });
    const [mapping] = Object.values(mappings);
    expect(Object.keys(mappings)).toHaveLength(1);
    const props = (mapping as { Properties: Record<string, unknown> }).Properties;
    const runner = asMappingProperties(config.eventSources[name] ?? DEFAULT_EVENT_SOURCE);
    expect(config.eventSources[name]).toBeDefined();
    for (const [key, value] of Object.entries(runner)) expect.soft(props[key], key).toEqual(value);
    expect(props.DestinationConfig).toEqual({
      OnFailure: { Destination: { "Fn::GetAtt": [expect.stringMatching(`^${LOGICAL[name]}FailureQueue`), "Arn"] } },
    });
  });

  test("functions run on nodejs22.x with the handler bundled as ESM", () => {
    const functions = template.findResources("AWS::Lambda::Function", { Properties: { Handler: "index.handler" } });
    expect(Object.keys(functions)).toHaveLength(STREAM_NAMES.length);
    for (const fn of Object.values(functions)) {
      expect((fn as { Properties: { Runtime: string } }).Properties.Runtime).toBe("nodejs22.x");
    }
  });

  test("the outputs are the keys the local stack writes", () => {
    expect(Object.keys(template.findOutputs("*")).sort()).toEqual([...OUTPUT_KEYS].sort());
  });

  test("the promo queue and the alert topic are FIFO, for their deduplication ids", () => {
    template.hasResourceProperties("AWS::SQS::Queue", { FifoQueue: true, RedrivePolicy: Match.anyValue() });
    template.hasResourceProperties("AWS::SNS::Topic", { FifoTopic: true });
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "sqs", RawMessageDelivery: true });
  });

  test("streams, tables, queues and the topic are encrypted with KMS", () => {
    for (const stream of Object.values(template.findResources("AWS::Kinesis::Stream"))) {
      expect(stream.Properties.StreamEncryption.EncryptionType).toBe("KMS");
    }
    for (const table of Object.values(template.findResources("AWS::DynamoDB::Table"))) {
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: "KMS" });
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.BillingMode).toBe("PAY_PER_REQUEST");
    }
    for (const queue of Object.values(template.findResources("AWS::SQS::Queue"))) {
      expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    }
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
  });
});

test("the default event-source settings bound retries and record age, bisect, and report partial failures", () => {
  const s = DEFAULT_EVENT_SOURCE;
  expect(s.retryAttempts).toBeGreaterThan(0);
  expect(s.maxRecordAgeSeconds).toBeGreaterThan(0);
  expect(s.bisectBatchOnError).toBe(true);
  expect(s.reportBatchItemFailures).toBe(true);
});

test("alert rules come from context, each setting over its default, and reach the readings function", () => {
  const rulesFromContext = (context: string) => parseRules(context, "-c rules");
  const rules = rulesFromContext('{"highTemperature":{"thresholdF":92},"rateOfRise":{"enabled":false}}');
  expect(rules.highTemperature).toEqual({ enabled: true, thresholdF: 92 });
  expect(rules.rateOfRise.enabled).toBe(false);
  expect(rules.stdDev).toEqual(DEFAULT_RULES.stdDev);
  expect(() => rulesFromContext('{"tooCold":{}}')).toThrow(/-c rules: .*tooCold/);
  expect(() => rulesFromContext('{"stdDev":{"multiplier":"3"}}')).toThrow(/-c rules: stdDev\.multiplier: .*number/);
  expect(() => rulesFromContext('{"stdDev":{"sigma":3}}')).toThrow(/sigma/);
  const env = zoneConfig({
    ZONE_TABLE: "t",
    ALERT_TOPIC_ARN: "a",
    REJECTED_QUEUE_URL: "q",
    ...rulesEnvironment(rules),
  }).rules;
  expect(env).toEqual(rules);
});

test("every application's tables, functions and outputs come from its manifest, each setting from the context", () => {
  const template = synthesize("dev", {
    rules: '{"rateOfFall":{"enabled":true}}',
    cardRules: '{"velocity":{"minTransactions":3}}',
    cpuThresholdPercent: "95",
  });
  const apps = APPS as readonly AppManifest[];
  const tables = Object.keys(template.findResources("AWS::DynamoDB::Table"));
  for (const app of apps) expect(tables.some((id) => id.startsWith(app.table.id))).toBe(true);
  const env = (stream: string): Record<string, string> => {
    const functions = template.findResources("AWS::Lambda::Function");
    const id = Object.keys(functions).find((k) => k.startsWith(`${logicalIdOf(stream)}Function`));
    if (id === undefined) throw new Error(`no function for ${stream}`);
    return functions[id]?.Properties.Environment.Variables;
  };
  expect(JSON.parse(env("readings")[ZONE_ENV.rules] ?? "{}").rateOfFall.enabled).toBe(true);
  expect(JSON.parse(env("transactions")[CARD_ENV.rules] ?? "{}")).toEqual({
    ...DEFAULT_CARD_RULES,
    velocity: { ...DEFAULT_CARD_RULES.velocity, minTransactions: 3 },
  });
  expect(env("cpu").CPU_THRESHOLD_PERCENT).toBe("95");
  expect(() => synthesize("dev", { cardRules: '{"velocity":{"window":1}}' })).toThrow(
    /-c cardRules: velocity: unknown "window"/,
  );
  expect(() => synthesize("dev", { cpuThresholdPercent: "120" })).toThrow(/cpuThresholdPercent/);
});

test("a stream on the core's facts mode cannot be given batches of one shard side by side", () => {
  const facts = STREAMS.filter((s) => s.mode === "facts");
  expect(facts.length).toBeGreaterThan(0);
  const parallel = facts.map((s) => ({ ...s, eventSource: { dev: { parallelizationFactor: 2 } } }));
  expect(() => eventSources("dev", parallel)).toThrow(/facts mode.*ParallelizationFactor must be 1, not 2/);
  for (const settings of Object.values(eventSources("dev", facts))) expect(settings.parallelizationFactor).toBe(1);
});
