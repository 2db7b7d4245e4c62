import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";
import { readingsScenario } from "../helpers/readings-scenario.js";
import { targetForFile } from "../helpers/target.js";

// Half the sends fail after the state write succeeded — before or after SQS/SNS took them — so
// the batch is retried with its effects already written: nothing may be lost or doubled.
// Both applications on one stack, one after the other.
const file = targetForFile({
  faults: { rate: 0.5, faults: ["error", "after"], operations: ["SendMessageBatch", "PublishBatch"], seed: 11 },
});

describe("the ad campaign with crashes between the state write and the send", () => campaignScenario(file));
describe("zone temperature alerts with crashes between the state write and the send", () => readingsScenario(file));
