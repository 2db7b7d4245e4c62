import type { Scenario } from "../scenario.js";
import { KINESIS_MAPPING_SCENARIOS } from "./kinesis-mapping.js";
import { SNS_SCENARIOS } from "./sns.js";

/** Every parity scenario, by family. */
export const SCENARIOS: readonly Scenario[] = [...KINESIS_MAPPING_SCENARIOS, ...SNS_SCENARIOS];
