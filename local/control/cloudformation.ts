import { type StackDeployment, stableId, stackArn } from "../cloudformation/assembly.js";
import { type AwsRequest, param } from "../iam/request.js";
import { notAnswered, required, serviceError } from "./errors.js";

// CloudFormation's read side, answered from the deployed stacks: each stack CREATE_COMPLETE since the
// local stack started, its outputs and parameters as resolved, its resources with their physical ids
// (a queue's URL, a topic's ARN, a name — what Ref gives), its template as synthesized, and the
// events of its creation.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Operations.html

export interface CloudFormationDeps {
  readonly stacks: readonly StackDeployment[];
  /** When the stacks were created (the local stack's start). */
  readonly createdAt: Date;
}

const COMPLETE = "CREATE_COMPLETE";
const NOT_CHECKED = { StackDriftStatus: "NOT_CHECKED" };

export function answerCloudFormation(call: AwsRequest, deps: CloudFormationDeps): Record<string, unknown> {
  const { createdAt } = deps;
  const named = param(call, "StackName");
  const find = (name: string): StackDeployment => {
    const stack = deps.stacks.find((s) => s.stackName === name || stackArn(s.region, s.account, s.stackName) === name);
    if (!stack) throw serviceError("ValidationError", `Stack with id ${name} does not exist`);
    return stack;
  };
  const id = (stack: StackDeployment) => stackArn(stack.region, stack.account, stack.stackName);
  switch (call.operation) {
    case "DescribeStacks": {
      const stacks = named === undefined ? deps.stacks : [find(named)];
      return {
        Stacks: stacks.map((stack) => ({
          StackId: id(stack),
          StackName: stack.stackName,
          Description: stack.template.Description,
          Parameters: parametersOf(stack),
          CreationTime: createdAt,
          RollbackConfiguration: {},
          StackStatus: COMPLETE,
          DisableRollback: false,
          NotificationARNs: [],
          Outputs: Object.entries(stack.outputs).map(([key, value]) => ({
            OutputKey: key,
            OutputValue: value,
            Description: stack.template.Outputs?.[key]?.Description,
          })),
          Tags: [],
          EnableTerminationProtection: false,
          DriftInformation: NOT_CHECKED,
        })),
      };
    }
    case "ListStacks":
      return {
        StackSummaries: deps.stacks.map((stack) => ({
          StackId: id(stack),
          StackName: stack.stackName,
          TemplateDescription: stack.template.Description,
          CreationTime: createdAt,
          StackStatus: COMPLETE,
          DriftInformation: NOT_CHECKED,
        })),
      };
    case "ListStackResources": {
      const stack = find(required(named, "StackName"));
      return {
        StackResourceSummaries: resourcesOf(stack).map((r) => ({
          LogicalResourceId: r.logicalId,
          PhysicalResourceId: r.physicalId,
          ResourceType: r.type,
          LastUpdatedTimestamp: createdAt,
          ResourceStatus: COMPLETE,
          DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
        })),
      };
    }
    case "DescribeStackResources": {
      const physical = param(call, "PhysicalResourceId");
      const stack =
        named !== undefined
          ? find(named)
          : deps.stacks.find((s) => resourcesOf(s).some((r) => r.physicalId === physical));
      if (!stack) throw serviceError("ValidationError", `Stack for ${physical ?? "(none)"} does not exist`);
      const logical = param(call, "LogicalResourceId");
      return {
        StackResources: resourcesOf(stack)
          .filter(
            (r) =>
              (logical === undefined || r.logicalId === logical) &&
              (physical === undefined || r.physicalId === physical),
          )
          .map((r) => ({
            StackName: stack.stackName,
            StackId: id(stack),
            LogicalResourceId: r.logicalId,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            Timestamp: createdAt,
            ResourceStatus: COMPLETE,
            DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
          })),
      };
    }
    case "DescribeStackResource": {
      const stack = find(required(named, "StackName"));
      const logical = required(param(call, "LogicalResourceId"), "LogicalResourceId");
      const r = resourcesOf(stack).find((x) => x.logicalId === logical);
      if (!r) throw serviceError("ValidationError", `Resource ${logical} does not exist for stack ${stack.stackName}`);
      return {
        StackResourceDetail: {
          StackName: stack.stackName,
          StackId: id(stack),
          LogicalResourceId: r.logicalId,
          PhysicalResourceId: r.physicalId,
          ResourceType: r.type,
          LastUpdatedTimestamp: createdAt,
          ResourceStatus: COMPLETE,
          Metadata: r.metadata === undefined ? undefined : JSON.stringify(r.metadata),
          DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
        },
      };
    }
    case "GetTemplate": {
      const stack = find(required(named, "StackName"));
      return { TemplateBody: JSON.stringify(stack.template), StagesAvailable: ["Original", "Processed"] };
    }
    case "DescribeStackEvents": {
      const stack = find(required(named, "StackName"));
      const event = (logicalId: string, physicalId: string, type: string, status: string) => ({
        StackId: id(stack),
        EventId: stableId(`${stack.stackName}/${logicalId}/${status}`),
        StackName: stack.stackName,
        LogicalResourceId: logicalId,
        PhysicalResourceId: physicalId,
        ResourceType: type,
        Timestamp: createdAt,
        ResourceStatus: status,
      });
      const stackEvent = (status: string) => event(stack.stackName, id(stack), "AWS::CloudFormation::Stack", status);
      // Newest first, as CloudFormation lists them.
      return {
        StackEvents: [
          stackEvent(COMPLETE),
          ...resourcesOf(stack)
            .reverse()
            .flatMap((r) => [
              event(r.logicalId, r.physicalId, r.type, COMPLETE),
              event(r.logicalId, "", r.type, "CREATE_IN_PROGRESS"),
            ]),
          stackEvent("CREATE_IN_PROGRESS"),
        ],
      };
    }
    default:
      throw notAnswered();
  }
}

/** A stack's parameters as it was created with them: each one's default. */
function parametersOf(stack: StackDeployment) {
  return Object.entries(stack.template.Parameters ?? {}).map(([key, p]) => ({
    ParameterKey: key,
    ParameterValue: p.Default === undefined ? "" : String(p.Default),
  }));
}

/**
 * Every resource of the template CloudFormation would have created, with its physical id: what the
 * local stack made of it (Ref), or for a type with no local meaning an id of the same shape as
 * CloudFormation's (`<stack>-<logicalId>-<suffix>`). A resource left out by its condition is absent.
 */
function resourcesOf(stack: StackDeployment) {
  const made = new Map(
    [...stack.resources, ...stack.alarms, ...stack.dashboards].map((r) => [r.logicalId, r] as const),
  );
  return Object.entries(stack.template.Resources)
    .filter(([logicalId, raw]) => made.has(logicalId) || raw.Condition === undefined)
    .map(([logicalId, raw]) => ({
      logicalId,
      type: raw.Type,
      physicalId:
        made.get(logicalId)?.ref ??
        `${stack.stackName}-${logicalId}-${stableId(`${stack.stackName}/${logicalId}`).slice(0, 12).toUpperCase()}`,
      metadata: (raw as { Metadata?: unknown }).Metadata,
    }));
}
