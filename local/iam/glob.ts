/** A policy's wildcard pattern (`*`, `?`) as a regular expression; actions match without case, ARNs with. */
export function glob(pattern: string, caseless: boolean): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, caseless ? "is" : "s");
}
