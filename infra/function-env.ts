import { ENV, ruleEnvironment } from "../shared/config.js";
import type { RuleConfig } from "../shared/zones/rules.js";
import type { StreamFunctionName } from "./event-sources.js";

/** Where each function finds its resources: CDK tokens in the stack, real names locally. */
export interface ResourceRefs {
  readonly campaignTable: string;
  readonly zoneTable: string;
  readonly promoQueueUrl: string;
  readonly rejectedQueueUrl: string;
  readonly alertTopicArn: string;
  readonly serverTable: string;
}

/** Each function's environment: the one mapping used by the CDK stack and the local stack alike. */
export function functionEnvironments(
  refs: ResourceRefs,
  rules: RuleConfig,
  cpuThresholdPercent = 90,
): Record<StreamFunctionName, Record<string, string>> {
  const campaign = {
    [ENV.campaignTable]: refs.campaignTable,
    [ENV.promoQueueUrl]: refs.promoQueueUrl,
    [ENV.rejectedQueueUrl]: refs.rejectedQueueUrl,
  };
  return {
    loyalty: campaign,
    conversions: campaign,
    readings: {
      [ENV.zoneTable]: refs.zoneTable,
      [ENV.alertTopicArn]: refs.alertTopicArn,
      [ENV.rejectedQueueUrl]: refs.rejectedQueueUrl,
      ...ruleEnvironment(rules),
    },
    cpu: {
      [ENV.serverTable]: refs.serverTable,
      [ENV.alertTopicArn]: refs.alertTopicArn,
      [ENV.rejectedQueueUrl]: refs.rejectedQueueUrl,
      [ENV.cpuThresholdPercent]: String(cpuThresholdPercent),
    },
  };
}
