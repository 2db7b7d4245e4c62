// Differences from AWS's recorded answers that stay, each with why: a scenario that fails is allowed
// only if it is here (and listed in docs/local-stack.md's parity table). None at present.

/** Scenario source test (as Source.test names it) → why the local stack still answers otherwise. */
export const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {};
