import { booleanEnv, numberEnv, requireEnv } from "./env.js";
import { DEFAULT_RULES, type RuleConfig } from "./zones/rules.js";

// The environment contract between the stack (infra/) and the functions: one list of names, so
// that what the CDK sets is what the handlers read.
export const ENV = {
  campaignTable: "CAMPAIGN_TABLE",
  promoQueueUrl: "PROMO_QUEUE_URL",
  rejectedQueueUrl: "REJECTED_QUEUE_URL",
  zoneTable: "ZONE_TABLE",
  alertTopicArn: "ALERT_TOPIC_ARN",
  serverTable: "SERVER_TABLE",
  cpuThresholdPercent: "CPU_THRESHOLD_PERCENT",
  rules: {
    highTemperatureOn: "RULE_HIGH_TEMPERATURE",
    highTemperatureF: "HIGH_TEMPERATURE_F",
    stdDevOn: "RULE_STD_DEV",
    stdDevMultiplier: "STD_DEV_MULTIPLIER",
    stdDevMinReadings: "STD_DEV_MIN_READINGS",
    windowAverageOn: "RULE_WINDOW_AVERAGE",
    windowSeconds: "WINDOW_SECONDS",
    windowMinReadings: "WINDOW_MIN_READINGS",
    windowPercent: "WINDOW_PERCENT",
    rateOfRiseOn: "RULE_RATE_OF_RISE",
    riseSeconds: "RISE_SECONDS",
    risePercent: "RISE_PERCENT",
  },
} as const;

export interface CampaignConfig {
  readonly campaignTable: string;
  readonly promoQueueUrl: string;
  readonly rejectedQueueUrl: string;
}

export function campaignConfig(env: NodeJS.ProcessEnv = process.env): CampaignConfig {
  return {
    campaignTable: requireEnv(ENV.campaignTable, env),
    promoQueueUrl: requireEnv(ENV.promoQueueUrl, env),
    rejectedQueueUrl: requireEnv(ENV.rejectedQueueUrl, env),
  };
}

export interface ZoneConfig {
  readonly zoneTable: string;
  readonly alertTopicArn: string;
  readonly rejectedQueueUrl: string;
  readonly rules: RuleConfig;
}

export function zoneConfig(env: NodeJS.ProcessEnv = process.env): ZoneConfig {
  const r = ENV.rules;
  const d = DEFAULT_RULES;
  return {
    zoneTable: requireEnv(ENV.zoneTable, env),
    alertTopicArn: requireEnv(ENV.alertTopicArn, env),
    rejectedQueueUrl: requireEnv(ENV.rejectedQueueUrl, env),
    rules: {
      highTemperature: {
        enabled: booleanEnv(r.highTemperatureOn, d.highTemperature.enabled, env),
        thresholdF: numberEnv(r.highTemperatureF, d.highTemperature.thresholdF, env),
      },
      stdDev: {
        enabled: booleanEnv(r.stdDevOn, d.stdDev.enabled, env),
        multiplier: numberEnv(r.stdDevMultiplier, d.stdDev.multiplier, env),
        minReadings: numberEnv(r.stdDevMinReadings, d.stdDev.minReadings, env),
      },
      windowAverage: {
        enabled: booleanEnv(r.windowAverageOn, d.windowAverage.enabled, env),
        windowMs: numberEnv(r.windowSeconds, d.windowAverage.windowMs / 1000, env) * 1000,
        minReadings: numberEnv(r.windowMinReadings, d.windowAverage.minReadings, env),
        percentAbove: numberEnv(r.windowPercent, d.windowAverage.percentAbove, env),
      },
      rateOfRise: {
        enabled: booleanEnv(r.rateOfRiseOn, d.rateOfRise.enabled, env),
        lookbackMs: numberEnv(r.riseSeconds, d.rateOfRise.lookbackMs / 1000, env) * 1000,
        percentRise: numberEnv(r.risePercent, d.rateOfRise.percentRise, env),
      },
    },
  };
}

/** Rule settings as environment variables, for the stack to hand to the function. */
export function ruleEnvironment(rules: RuleConfig): Record<string, string> {
  const r = ENV.rules;
  return {
    [r.highTemperatureOn]: String(rules.highTemperature.enabled),
    [r.highTemperatureF]: String(rules.highTemperature.thresholdF),
    [r.stdDevOn]: String(rules.stdDev.enabled),
    [r.stdDevMultiplier]: String(rules.stdDev.multiplier),
    [r.stdDevMinReadings]: String(rules.stdDev.minReadings),
    [r.windowAverageOn]: String(rules.windowAverage.enabled),
    [r.windowSeconds]: String(rules.windowAverage.windowMs / 1000),
    [r.windowMinReadings]: String(rules.windowAverage.minReadings),
    [r.windowPercent]: String(rules.windowAverage.percentAbove),
    [r.rateOfRiseOn]: String(rules.rateOfRise.enabled),
    [r.riseSeconds]: String(rules.rateOfRise.lookbackMs / 1000),
    [r.risePercent]: String(rules.rateOfRise.percentRise),
  };
}
