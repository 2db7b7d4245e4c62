import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";

// Half the sends fail after the state write succeeded — before or after SQS/SNS took them — so
// the batch is retried with its effects already written: nothing may be lost or doubled.
describe("campaign with crashes between the state write and the send", () =>
  campaignScenario({
    faults: { rate: 0.5, faults: ["error", "after"], operations: ["SendMessageBatch", "PublishBatch"], seed: 11 },
  }));
