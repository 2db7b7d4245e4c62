import { describe } from "vitest";
import { readingsScenario } from "../helpers/readings-scenario.js";

// Two invocations of the same batch at once: the optimistic lock must keep one of them out.
describe("zone temperature alerts when two invocations race on every batch", () =>
  readingsScenario({ delivery: { raceDuplicates: true } }));
