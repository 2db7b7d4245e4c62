import { describe } from "vitest";
import { campaignScenario } from "../helpers/campaign-scenario.js";

describe("the ad campaign on the local stack", () => campaignScenario());
