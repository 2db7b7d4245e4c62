import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** Acknowledges a cdk-nag finding on a construct; every acknowledgement carries its reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
