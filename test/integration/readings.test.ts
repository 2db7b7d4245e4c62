import { describe } from "vitest";
import { readingsScenario } from "../helpers/readings-scenario.js";

describe("zone temperature alerts on the local stack", () => readingsScenario());
