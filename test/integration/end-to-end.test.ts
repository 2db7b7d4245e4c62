import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";
import { readingsScenario } from "../helpers/readings-scenario.js";
import { targetForFile } from "../helpers/target.js";

// The ad campaign and the zone alerts on one stack, one after the other: the local stack, or the
// deployed one TRIPWIRE_OUTPUTS names (outputs-mode.test.ts runs this file so).
const file = targetForFile();

describe("the ad campaign", () => campaignScenario(file));
describe("zone temperature alerts", () => readingsScenario(file));
