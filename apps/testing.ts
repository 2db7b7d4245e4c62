import fc from "fast-check";

// Shared by the applications' generators for the generic exactly-once tests (loaded by tests only).

export const T0 = Date.UTC(2026, 10, 20, 9);

/** Events in time order: each at T0 plus the steps so far. */
export function timed<R extends { step: number }, E>(raw: readonly R[], event: (r: R, at: number) => E): E[] {
  let at = T0;
  return raw.map((r) => {
    at += r.step;
    return event(r, at);
  });
}

/** Up to 80 generated records, each with a step in time of at most `maxStep` ms. */
export const records = <R>(shape: fc.Arbitrary<R>): fc.Arbitrary<R[]> =>
  fc.array(shape, { minLength: 1, maxLength: 80 });
