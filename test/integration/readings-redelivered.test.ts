import { describe } from "vitest";
import { readingsScenario } from "../helpers/readings-scenario.js";

// Lambda delivers at least once: here every batch comes a second time after it succeeded.
describe("zone temperature alerts when every batch is delivered twice", () =>
  readingsScenario({ delivery: { deliverTwice: true } }));
