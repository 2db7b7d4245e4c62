import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";
import { readingsScenario } from "../helpers/readings-scenario.js";
import { targetForFile } from "../helpers/target.js";

// One DynamoDB, SQS or SNS call in ten fails: throttled, a server error, or taking effect while
// the handler hears it failed (a crash right after a write). Nothing may be lost or doubled.
// Both applications on one stack, one after the other.
const file = targetForFile({ faults: { rate: 0.1, faults: ["throttle", "error", "after"], seed: 7 } });

describe("the ad campaign with 10 % of calls failing", () => campaignScenario(file));
describe("zone temperature alerts with 10 % of calls failing", () => readingsScenario(file));
