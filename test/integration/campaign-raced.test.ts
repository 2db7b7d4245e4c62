import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";

// Two invocations of the same batch at once, as a duplicate delivery racing the first would.
describe("the ad campaign when two invocations race on every batch", () =>
  campaignScenario({ delivery: { raceDuplicates: true } }));
