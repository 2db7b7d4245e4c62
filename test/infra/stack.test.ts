import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, test } from "vitest";
import { rulesEnvironment, zoneConfig } from "#apps/zones/config.js";
import { DEFAULT_RULES } from "#apps/zones/rules.js";
import {
  type EventSourceSettings,
  eventSources,
  logicalIdOf,
  STREAM_FUNCTIONS,
  type StreamFunctionName,
} from "../../infra/event-sources.js";
import { OUTPUT_KEYS } from "../../infra/outputs.js";
import { rulesFromContext, stageConfig } from "../../infra/stage.js";
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

const LOGICAL = Object.fromEntries(STREAM_FUNCTIONS.map((name) => [name, logicalIdOf(name)])) as Record<
  StreamFunctionName,
  string
>;

describe.each(["dev", "prod"])("the %s stack", (stage) => {
  const template = synthesize(stage);
  const config = stageConfig(stage);

  test.each(Object.keys(LOGICAL) as StreamFunctionName[])(
    "the local runner's settings for %s equal the synthesized event source mapping",
    (name) => {
      const mappings = template.findResources("AWS::Lambda::EventSourceMapping", {
        Properties: { EventSourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp(`^${LOGICAL[name]}Stream`), "Arn"] } },
      });
      const [mapping] = Object.values(mappings);
      expect(Object.keys(mappings)).toHaveLength(1);
      const props = (mapping as { Properties: Record<string, unknown> }).Properties;
      const runner = asMappingProperties(config.eventSources[name]);
      for (const [key, value] of Object.entries(runner)) expect.soft(props[key], key).toEqual(value);
      expect(props.DestinationConfig).toEqual({
        OnFailure: { Destination: { "Fn::GetAtt": [expect.stringMatching(`^${LOGICAL[name]}FailureQueue`), "Arn"] } },
      });
    },
  );

  test("functions run on nodejs22.x with the handler bundled as ESM", () => {
    const functions = template.findResources("AWS::Lambda::Function", { Properties: { Handler: "index.handler" } });
    expect(Object.keys(functions)).toHaveLength(STREAM_FUNCTIONS.length);
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
  const s = eventSources().readings;
  expect(s.retryAttempts).toBeGreaterThan(0);
  expect(s.maxRecordAgeSeconds).toBeGreaterThan(0);
  expect(s.bisectBatchOnError).toBe(true);
  expect(s.reportBatchItemFailures).toBe(true);
});

test("alert rules come from context, each setting over its default, and reach the readings function", () => {
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
