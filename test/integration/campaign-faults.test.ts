import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";

// One DynamoDB, SQS or SNS call in ten fails: throttled, a server error, or taking effect while
// the handler hears it failed (a crash right after a write). Nothing may be lost or doubled.
describe("campaign with 10 % of calls failing", () =>
  campaignScenario({ faults: { rate: 0.1, faults: ["throttle", "error", "after"], seed: 7 } }));
