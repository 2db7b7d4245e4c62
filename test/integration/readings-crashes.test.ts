import { describe } from "vitest";
import { readingsScenario } from "../helpers/readings-scenario.js";

// Half the sends fail after the state write succeeded — before or after SQS/SNS took them — so
// the batch is retried with its effects already written: nothing may be lost or doubled.
describe("readings with crashes between the state write and the send", () =>
  readingsScenario({
    faults: { rate: 0.5, faults: ["error", "after"], operations: ["SendMessageBatch", "PublishBatch"], seed: 11 },
  }));
