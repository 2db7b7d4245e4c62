import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";

// Lambda delivers at least once: here every batch comes a second time after it succeeded.
describe("the ad campaign when every batch is delivered twice", () =>
  campaignScenario({ delivery: { deliverTwice: true } }));
