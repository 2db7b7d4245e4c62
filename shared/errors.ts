/** A record whose bytes cannot be turned into an event: it is rejected, never retried. */
export class DecodeError extends Error {
  override readonly name: string = "DecodeError";
}

/** A required setting is missing or malformed: the function must not start. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** DynamoDB refused a conditional write: somebody else changed the item first. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === "ConditionalCheckFailedException";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A record rejected with its reason only: its bytes and partition key may hold data that must not be
 * copied anywhere (a payment card number, say), so the rejected-records queue gets neither. */
export class RedactedDecodeError extends DecodeError {
  override readonly name = "RedactedDecodeError";
}
