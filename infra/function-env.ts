import { CAMPAIGN_ENV } from "../apps/campaign/config.js";
import { CPU_ENV } from "../apps/cpu/app.js";
import { rulesEnvironment, ZONE_ENV } from "../apps/zones/config.js";
import type { RuleConfig } from "../apps/zones/rules.js";
import { COMMON_ENV } from "../shared/config.js";
import type { StreamFunctionName } from "./event-sources.js";

/** Where each function finds its resources: CDK tokens in the stack. */
export interface ResourceRefs {
  readonly campaignTable: string;
  readonly zoneTable: string;
  readonly promoQueueUrl: string;
  readonly rejectedQueueUrl: string;
  readonly alertTopicArn: string;
  readonly serverTable: string;
  readonly couponSecretArn: string;
}

/** Each function's environment, named by the constants its configuration reads. */
export function functionEnvironments(
  refs: ResourceRefs,
  rules: RuleConfig,
  cpuThresholdPercent = 90,
): Record<StreamFunctionName, Record<string, string>> {
  const campaign = {
    [CAMPAIGN_ENV.campaignTable]: refs.campaignTable,
    [CAMPAIGN_ENV.promoQueueUrl]: refs.promoQueueUrl,
    [COMMON_ENV.rejectedQueueUrl]: refs.rejectedQueueUrl,
  };
  const alerts = {
    [COMMON_ENV.alertTopicArn]: refs.alertTopicArn,
    [COMMON_ENV.rejectedQueueUrl]: refs.rejectedQueueUrl,
  };
  return {
    loyalty: campaign,
    conversions: { ...campaign, [CAMPAIGN_ENV.couponSecretArn]: refs.couponSecretArn },
    readings: { ...alerts, [ZONE_ENV.zoneTable]: refs.zoneTable, ...rulesEnvironment(rules) },
    cpu: {
      ...alerts,
      [CPU_ENV.serverTable]: refs.serverTable,
      [CPU_ENV.thresholdPercent]: String(cpuThresholdPercent),
    },
  };
}
