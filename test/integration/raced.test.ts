import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";
import { readingsScenario } from "../helpers/readings-scenario.js";
import { targetForFile } from "../helpers/target.js";

// Two invocations of the same batch at once, as a duplicate delivery racing the first would: the
// optimistic lock must keep one of them out.
// Both applications on one stack, one after the other.
const file = targetForFile({ delivery: { raceDuplicates: true } });

describe("the ad campaign when two invocations race on every batch", () => campaignScenario(file));
describe("zone temperature alerts when two invocations race on every batch", () => readingsScenario(file));
