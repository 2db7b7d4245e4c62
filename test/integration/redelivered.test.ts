import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";
import { readingsScenario } from "../helpers/readings-scenario.js";
import { targetForFile } from "../helpers/target.js";

// Lambda delivers at least once: here every batch comes a second time after it succeeded.
// Both applications on one stack, one after the other.
const file = targetForFile({ delivery: { deliverTwice: true } });

describe("the ad campaign when every batch is delivered twice", () => campaignScenario(file));
describe("zone temperature alerts when every batch is delivered twice", () => readingsScenario(file));
