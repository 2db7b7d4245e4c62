/** What one function did under its role, as the local stack's gateway saw it. */
export interface FunctionAccess {
  readonly functionName: string;
  /** Actions it made that its role allowed, each with the resources it made them on. */
  readonly used: Record<string, string[]>;
  /** Actions refused, each with the resources. */
  readonly refused: Record<string, string[]>;
  /** Why each refusal (`action resource`) was refused: which policy, in AWS's words. */
  readonly reasons: Record<string, string>;
  /** Grants (action as written, resource) that no call used: least privilege left on the table. */
  readonly unused: { action: string; resource: string }[];
}

/** The services whose calls the local stack decides; grants of others (logs, X-Ray) have no local calls. */
const LOCAL_SERVICES = ["kinesis", "dynamodb", "sqs", "sns", "s3", "secretsmanager", "lambda", "kms", "cloudwatch"];

/** Least privilege, shown: per function, the calls it made, what was refused, and grants never used. */
export function accessReportText(report: readonly FunctionAccess[]): string {
  const lines = [
    "access report (calls each function and each delivering service made, refusals and the policy that refused, grants never used)",
  ];
  const local = (action: string) => LOCAL_SERVICES.some((s) => action.startsWith(`${s}:`));
  for (const f of report) {
    lines.push(`  ${f.functionName}`);
    for (const [action, resources] of Object.entries(f.used))
      lines.push(`    used     ${action}  ${resources.join(", ")}`);
    for (const [action, resources] of Object.entries(f.refused))
      for (const resource of resources)
        lines.push(`    REFUSED  ${action}  ${resource}  (${f.reasons[`${action} ${resource}`] ?? "refused"})`);
    for (const u of f.unused.filter((u) => local(u.action))) lines.push(`    unused   ${u.action}  ${u.resource}`);
    const elsewhere = [...new Set(f.unused.filter((u) => !local(u.action)).map((u) => u.action))];
    if (elsewhere.length > 0) lines.push(`    (granted, no local calls: ${elsewhere.join(", ")})`);
  }
  return lines.join("\n");
}
