// The stack's outputs are derived from the applications' manifests (apps/index.ts).
export { OUTPUT_KEYS, type OutputKey } from "../apps/index.js";

import type { OutputKey } from "../apps/index.js";

export type StackOutputs = Record<OutputKey, string>;

export const STACK_NAME = "Tripwire";
