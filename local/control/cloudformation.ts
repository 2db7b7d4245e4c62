import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type RawTemplate, type StackDeployment, stableId, stackArn } from "../cloudformation/assembly.js";
import { readTemplateText } from "../cloudformation/template-text.js";
import { type AwsRequest, param } from "../iam/request.js";
import { notAnswered, required, serviceError } from "./errors.js";

// CloudFormation, answered for the stacks the local stack runs: those `npm start` deployed, and
// those deployed through the API as `cdk deploy` does it — a change set created (its template given
// or read from S3), described, executed: the deployment runs into the running local stack
// (`Deployer`, local/stages/deployments.ts) and the stack goes to CREATE_COMPLETE or UPDATE_COMPLETE,
// or to ROLLBACK_COMPLETE / UPDATE_ROLLBACK_COMPLETE with the reason in its events. Read: each stack's
// status, outputs and parameters, its resources with their physical ids (what Ref gives), its
// template, its events.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Operations.html

/** Deploys a template into the running local stack: a new stack, or an update of one it runs. */
export interface Deployer {
  deploy(request: {
    readonly stackName: string;
    readonly template: RawTemplate;
    readonly parameters: Readonly<Record<string, string>>;
    /** The stack as it runs now, for an update. */
    readonly previous?: StackDeployment;
  }): Promise<StackDeployment>;
  /** A template a change set names by URL: an object in the endpoint's S3. */
  fetchTemplate(url: string): Promise<string>;
}

interface StackEvent {
  readonly EventId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
  readonly ResourceType: string;
  readonly Timestamp: Date;
  readonly ResourceStatus: string;
  readonly ResourceStatusReason?: string;
}

interface StackRecord {
  readonly stackName: string;
  readonly stackId: string;
  status: string;
  statusReason?: string;
  readonly createdAt: Date;
  updatedAt?: Date;
  /** What runs now (none until a first deployment completes). */
  deployment?: StackDeployment;
  /** The template last submitted, and its parameters. */
  template: RawTemplate;
  parameters: Record<string, string>;
  description?: string;
  capabilities: string[];
  readonly events: StackEvent[];
}

interface ChangeSet {
  readonly id: string;
  readonly name: string;
  readonly stackName: string;
  readonly type: "CREATE" | "UPDATE";
  readonly template: RawTemplate;
  readonly parameters: Record<string, string>;
  readonly capabilities: string[];
  readonly description?: string;
  readonly createdAt: Date;
  readonly changes: { Action: string; LogicalResourceId: string; ResourceType: string; PhysicalResourceId?: string }[];
  status: "CREATE_COMPLETE" | "FAILED";
  statusReason?: string;
  executionStatus: "AVAILABLE" | "UNAVAILABLE" | "EXECUTE_IN_PROGRESS" | "EXECUTE_COMPLETE" | "EXECUTE_FAILED";
}

/** How long ExecuteChangeSet's answer waits for the deployment it started (see `execute`). */
const ANSWER_WITHIN_MS = 20_000;

const NOT_CHECKED = { StackDriftStatus: "NOT_CHECKED" };
/** CloudFormation's words for a change set with nothing to change (the CDK CLI reads them). */
const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

export class CloudFormationApi {
  private readonly records = new Map<string, StackRecord>();
  private readonly changeSets = new Map<string, ChangeSet>();

  private readonly deployer: Deployer | undefined;

  constructor(
    private readonly where: { readonly region: string; readonly account: string },
    deployed: readonly StackDeployment[],
    createdAt: Date,
    deployer?: Deployer,
  ) {
    this.deployer = deployer;
    for (const stack of deployed) {
      const record = this.newRecord(stack.stackName, stack.template, {}, createdAt);
      record.deployment = stack;
      record.status = "CREATE_COMPLETE";
      this.event(record, record.stackName, record.stackId, "AWS::CloudFormation::Stack", "CREATE_COMPLETE");
    }
  }

  /** Every stack running now. */
  stacks(): StackDeployment[] {
    return [...this.records.values()].flatMap((r) => (r.deployment ? [r.deployment] : []));
  }

  async answer(call: AwsRequest): Promise<Record<string, unknown>> {
    const named = param(call, "StackName");
    switch (call.operation) {
      case "DescribeStacks": {
        const records = named === undefined ? [...this.records.values()] : [this.find(named)];
        return { Stacks: records.map((r) => this.describe(r)) };
      }
      case "ListStacks":
        return {
          StackSummaries: [...this.records.values()].map((r) => ({
            StackId: r.stackId,
            StackName: r.stackName,
            TemplateDescription: r.template.Description,
            CreationTime: r.createdAt,
            LastUpdatedTime: r.updatedAt,
            StackStatus: r.status,
            DriftInformation: NOT_CHECKED,
          })),
        };
      case "ListStackResources": {
        const record = this.find(required(named, "StackName"));
        return {
          StackResourceSummaries: resourcesOf(record).map((r) => ({
            LogicalResourceId: r.logicalId,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            LastUpdatedTimestamp: record.updatedAt ?? record.createdAt,
            ResourceStatus: "CREATE_COMPLETE",
            DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
          })),
        };
      }
      case "DescribeStackResources": {
        const physical = param(call, "PhysicalResourceId");
        const record =
          named !== undefined
            ? this.find(named)
            : [...this.records.values()].find((r) => resourcesOf(r).some((x) => x.physicalId === physical));
        if (!record) throw serviceError("ValidationError", `Stack for ${physical ?? "(none)"} does not exist`);
        const logical = param(call, "LogicalResourceId");
        return {
          StackResources: resourcesOf(record)
            .filter(
              (r) =>
                (logical === undefined || r.logicalId === logical) &&
                (physical === undefined || r.physicalId === physical),
            )
            .map((r) => ({
              StackName: record.stackName,
              StackId: record.stackId,
              LogicalResourceId: r.logicalId,
              PhysicalResourceId: r.physicalId,
              ResourceType: r.type,
              Timestamp: record.updatedAt ?? record.createdAt,
              ResourceStatus: "CREATE_COMPLETE",
              DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
            })),
        };
      }
      case "DescribeStackResource": {
        const record = this.find(required(named, "StackName"));
        const logical = required(param(call, "LogicalResourceId"), "LogicalResourceId");
        const r = resourcesOf(record).find((x) => x.logicalId === logical);
        if (!r)
          throw serviceError("ValidationError", `Resource ${logical} does not exist for stack ${record.stackName}`);
        return {
          StackResourceDetail: {
            StackName: record.stackName,
            StackId: record.stackId,
            LogicalResourceId: r.logicalId,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            LastUpdatedTimestamp: record.updatedAt ?? record.createdAt,
            ResourceStatus: "CREATE_COMPLETE",
            Metadata: r.metadata === undefined ? undefined : JSON.stringify(r.metadata),
            DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
          },
        };
      }
      case "GetTemplate": {
        const changeSet = param(call, "ChangeSetName");
        const template =
          changeSet === undefined
            ? this.find(required(named, "StackName")).template
            : this.changeSet(changeSet).template;
        return { TemplateBody: JSON.stringify(template), StagesAvailable: ["Original", "Processed"] };
      }
      case "DescribeStackEvents": {
        const record = this.find(required(named, "StackName"));
        // Newest first, as CloudFormation lists them.
        return {
          StackEvents: [...record.events]
            .reverse()
            .map((e) => ({ StackId: record.stackId, StackName: record.stackName, ...e })),
        };
      }
      case "CreateChangeSet":
        return this.createChangeSet(call);
      case "DescribeChangeSet": {
        const set = this.changeSet(required(param(call, "ChangeSetName"), "ChangeSetName"), named);
        const record = this.find(set.stackName);
        return {
          ChangeSetName: set.name,
          ChangeSetId: set.id,
          StackId: record.stackId,
          StackName: set.stackName,
          Description: set.description,
          Parameters: Object.entries(set.parameters).map(([k, v]) => ({ ParameterKey: k, ParameterValue: v })),
          CreationTime: set.createdAt,
          ExecutionStatus: set.executionStatus,
          Status: set.status,
          StatusReason: set.statusReason,
          NotificationARNs: [],
          Capabilities: set.capabilities,
          Changes: set.changes.map((c) => ({ Type: "Resource", ResourceChange: { ...c, Details: [] } })),
          IncludeNestedStacks: false,
        };
      }
      case "ListChangeSets": {
        const record = this.find(required(named, "StackName"));
        return {
          Summaries: [...this.changeSets.values()]
            .filter((c) => c.stackName === record.stackName)
            .map((c) => ({
              StackId: record.stackId,
              StackName: c.stackName,
              ChangeSetId: c.id,
              ChangeSetName: c.name,
              ExecutionStatus: c.executionStatus,
              Status: c.status,
              CreationTime: c.createdAt,
            })),
        };
      }
      case "DeleteChangeSet": {
        // A change set not there (by name) is already gone: deleting it succeeds, as `cdk deploy` relies on.
        const name = required(param(call, "ChangeSetName"), "ChangeSetName");
        const set = [...this.changeSets.values()].find(
          (c) => c.id === name || (c.name === name && c.stackName === named),
        );
        if (set) this.changeSets.delete(set.id);
        else if (name.startsWith("arn:"))
          throw serviceError("ChangeSetNotFound", `ChangeSet [${name}] does not exist`, 404);
        return {};
      }
      case "ExecuteChangeSet":
        return this.execute(this.changeSet(required(param(call, "ChangeSetName"), "ChangeSetName"), named));
      case "GetTemplateSummary": {
        const template = await this.templateOf(call);
        return {
          Parameters: Object.entries(template.Parameters ?? {}).map(([key, p]) => ({
            ParameterKey: key,
            DefaultValue: p.Default === undefined ? undefined : String(p.Default),
            ParameterType: p.Type ?? "String",
            NoEcho: false,
            Description: p.Description,
          })),
          Description: template.Description,
          ResourceTypes: [...new Set(Object.values(template.Resources).map((r) => r.Type))],
          Version: "2010-09-09",
        };
      }
      default:
        throw notAnswered();
    }
  }

  private newRecord(
    stackName: string,
    template: RawTemplate,
    parameters: Record<string, string>,
    createdAt: Date,
  ): StackRecord {
    const record: StackRecord = {
      stackName,
      stackId: stackArn(this.where.region, this.where.account, stackName),
      status: "REVIEW_IN_PROGRESS",
      createdAt,
      template,
      parameters,
      capabilities: [],
      events: [],
    };
    this.records.set(stackName, record);
    return record;
  }

  private find(name: string): StackRecord {
    const record = this.records.get(name) ?? [...this.records.values()].find((r) => r.stackId === name);
    if (!record) throw serviceError("ValidationError", `Stack with id ${name} does not exist`);
    return record;
  }

  private changeSet(name: string, stackName?: string): ChangeSet {
    const set =
      this.changeSets.get(name) ??
      [...this.changeSets.values()].find(
        (c) =>
          c.name === name &&
          (stackName === undefined || c.stackName === stackName || this.find(stackName).stackName === c.stackName),
      );
    if (!set) throw serviceError("ChangeSetNotFound", `ChangeSet [${name}] does not exist`, 404);
    return set;
  }

  private describe(r: StackRecord) {
    return {
      StackId: r.stackId,
      StackName: r.stackName,
      Description: r.template.Description,
      Parameters: Object.entries({ ...defaultsOf(r.template), ...r.parameters }).map(([k, v]) => ({
        ParameterKey: k,
        ParameterValue: v,
      })),
      CreationTime: r.createdAt,
      LastUpdatedTime: r.updatedAt,
      RollbackConfiguration: {},
      StackStatus: r.status,
      StackStatusReason: r.statusReason,
      DisableRollback: false,
      NotificationARNs: [],
      Capabilities: r.capabilities,
      Outputs: Object.entries(r.deployment?.outputs ?? {}).map(([key, value]) => ({
        OutputKey: key,
        OutputValue: value,
        Description: r.template.Outputs?.[key]?.Description,
      })),
      Tags: [],
      EnableTerminationProtection: false,
      DriftInformation: NOT_CHECKED,
    };
  }

  private event(
    record: StackRecord,
    logicalId: string,
    physicalId: string,
    type: string,
    status: string,
    reason?: string,
  ) {
    record.events.push({
      EventId: randomUUID(),
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      Timestamp: new Date(),
      ResourceStatus: status,
      ...(reason === undefined ? {} : { ResourceStatusReason: reason }),
    });
  }

  /** The template a call gives: its body, or the S3 object its URL names. */
  private async templateOf(call: AwsRequest): Promise<RawTemplate> {
    const body = param(call, "TemplateBody");
    const url = param(call, "TemplateURL");
    let text: string;
    if (body !== undefined) text = body;
    else if (url !== undefined) {
      if (!this.deployer) throw serviceError("ValidationError", "this local stack deploys no templates");
      text = await this.deployer.fetchTemplate(url);
    } else throw serviceError("ValidationError", "Either Template URL or Template Body must be specified.");
    try {
      return readTemplateText(text);
    } catch (err) {
      throw serviceError("ValidationError", (err as Error).message);
    }
  }

  private async createChangeSet(call: AwsRequest): Promise<Record<string, unknown>> {
    if (!this.deployer) throw notAnswered();
    const stackName = required(param(call, "StackName"), "StackName");
    const name = required(param(call, "ChangeSetName"), "ChangeSetName");
    const type = (param(call, "ChangeSetType") ?? "UPDATE") as "CREATE" | "UPDATE";
    const template = await this.templateOf(call);
    const existing = this.records.get(stackName);
    if (type === "CREATE" && existing && existing.status !== "REVIEW_IN_PROGRESS") {
      throw serviceError(
        "AlreadyExistsException",
        `Stack [${stackName}] already exists and cannot be created again with the changeSet [${name}].`,
      );
    }
    if (type === "UPDATE" && (!existing || existing.status === "REVIEW_IN_PROGRESS")) {
      throw serviceError("ValidationError", `Stack [${stackName}] does not exist`);
    }
    const given = listOf(call, "Parameters");
    const previous = existing?.parameters ?? {};
    const parameters = Object.fromEntries(
      given.flatMap((p) => {
        const key = p.ParameterKey;
        if (key === undefined) return [];
        if (p.UsePreviousValue === "true") return previous[key] === undefined ? [] : [[key, previous[key] as string]];
        return [[key, p.ParameterValue ?? ""]];
      }),
    );
    const capabilities = listOf(call, "Capabilities").map((c) => c.value ?? "");
    const record = existing ?? this.newRecord(stackName, template, parameters, new Date());
    const changes = changesOf(existing?.deployment, existing?.template, template);
    const sameParameters = JSON.stringify(sorted(parameters)) === JSON.stringify(sorted(previous));
    const set: ChangeSet = {
      id: `arn:aws:cloudformation:${this.where.region}:${this.where.account}:changeSet/${name}/${randomUUID()}`,
      name,
      stackName,
      type,
      template,
      parameters,
      capabilities,
      ...(param(call, "Description") === undefined ? {} : { description: param(call, "Description") }),
      createdAt: new Date(),
      changes,
      status: "CREATE_COMPLETE",
      executionStatus: "AVAILABLE",
    };
    if (type === "UPDATE" && changes.length === 0 && sameParameters) {
      set.status = "FAILED";
      set.statusReason = NO_CHANGES;
      set.executionStatus = "UNAVAILABLE";
    }
    this.changeSets.set(set.id, set);
    return { Id: set.id, StackId: record.stackId };
  }

  /**
   * Executes a change set. CloudFormation answers at once and the CDK CLI then polls the stack every
   * 5 s; a local deployment takes a second or two, so the answer waits for it (up to
   * `ANSWER_WITHIN_MS`) and the CLI's first poll finds it finished. The stack still passes through
   * `*_IN_PROGRESS` and records its events as it would.
   */
  private async execute(set: ChangeSet): Promise<Record<string, unknown>> {
    const deployer = this.deployer;
    if (!deployer) throw notAnswered();
    if (set.executionStatus !== "AVAILABLE") {
      throw serviceError(
        "InvalidChangeSetStatus",
        `ChangeSet [${set.id}] cannot be executed in its current execution status of [${set.executionStatus}]`,
      );
    }
    const record = this.find(set.stackName);
    const creating = set.type === "CREATE";
    const verb = creating ? "CREATE" : "UPDATE";
    set.executionStatus = "EXECUTE_IN_PROGRESS";
    record.status = `${verb}_IN_PROGRESS`;
    record.statusReason = "User Initiated";
    record.capabilities = set.capabilities;
    if (!creating) record.updatedAt = new Date();
    this.event(record, record.stackName, record.stackId, "AWS::CloudFormation::Stack", record.status, "User Initiated");
    const previous = record.deployment;
    const done = deployer
      .deploy({
        stackName: record.stackName,
        template: set.template,
        parameters: set.parameters,
        ...(previous ? { previous } : {}),
      })
      .then(
        (deployment) => {
          record.deployment = deployment;
          record.template = set.template;
          record.parameters = set.parameters;
          for (const change of set.changes) {
            const made = resourcesOf(record).find((r) => r.logicalId === change.LogicalResourceId);
            // A resource its condition left out was not made.
            if (!made && change.Action !== "Remove") continue;
            const status =
              change.Action === "Add"
                ? "CREATE_COMPLETE"
                : change.Action === "Remove"
                  ? "DELETE_COMPLETE"
                  : "UPDATE_COMPLETE";
            this.event(record, change.LogicalResourceId, made?.physicalId ?? "", change.ResourceType, status);
          }
          record.status = `${verb}_COMPLETE`;
          record.statusReason = undefined;
          set.executionStatus = "EXECUTE_COMPLETE";
          this.event(record, record.stackName, record.stackId, "AWS::CloudFormation::Stack", record.status);
        },
        (err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          // The change the reason names (it starts with a logical id), else the first, fails; the stack
          // is left as it was (a new one: rolled back, empty).
          const failed =
            set.changes.find(
              (c) => reason.startsWith(`${c.LogicalResourceId} `) || reason.startsWith(`${c.LogicalResourceId}:`),
            ) ?? set.changes[0];
          if (failed) this.event(record, failed.LogicalResourceId, "", failed.ResourceType, `${verb}_FAILED`, reason);
          record.status = creating ? "ROLLBACK_COMPLETE" : "UPDATE_ROLLBACK_COMPLETE";
          record.statusReason = reason;
          set.executionStatus = "EXECUTE_FAILED";
          this.event(record, record.stackName, record.stackId, "AWS::CloudFormation::Stack", record.status, reason);
        },
      );
    // Unreferenced: a wait outlived by its deployment does not hold the process open.
    await Promise.race([done, sleep(ANSWER_WITHIN_MS, undefined, { ref: false })]);
    return {};
  }
}

/** A query list (`Name.member.N` or `Name.member.N.Field`), each item's fields (a scalar item: `value`). */
function listOf(call: AwsRequest, name: string): Record<string, string | undefined>[] {
  const items = new Map<number, Record<string, string>>();
  for (const [key, value] of call.form ?? []) {
    const m = new RegExp(`^${name}\\.member\\.(\\d+)(?:\\.(\\w+))?$`).exec(key);
    if (!m) continue;
    const n = Number(m[1]);
    const item = items.get(n) ?? {};
    item[m[2] ?? "value"] = value;
    items.set(n, item);
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

function sorted(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function defaultsOf(template: RawTemplate): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([k, p]) => [k, p.Default === undefined ? "" : String(p.Default)]),
  );
}

/** What a template changes against the one deployed: each resource added, modified or removed. */
function changesOf(deployed: StackDeployment | undefined, before: RawTemplate | undefined, after: RawTemplate) {
  const old = deployed ? (before?.Resources ?? {}) : {};
  const ids = new Set([...Object.keys(old), ...Object.keys(after.Resources)]);
  return [...ids].flatMap((id) => {
    const a = old[id];
    const b = after.Resources[id];
    const physical = deployed?.resources.find((r) => r.logicalId === id)?.ref;
    if (!a && b) return [{ Action: "Add", LogicalResourceId: id, ResourceType: b.Type }];
    if (a && !b)
      return [
        {
          Action: "Remove",
          LogicalResourceId: id,
          ResourceType: a.Type,
          ...(physical ? { PhysicalResourceId: physical } : {}),
        },
      ];
    if (a && b && JSON.stringify(a) !== JSON.stringify(b)) {
      return [
        {
          Action: "Modify",
          LogicalResourceId: id,
          ResourceType: b.Type,
          ...(physical ? { PhysicalResourceId: physical } : {}),
        },
      ];
    }
    return [];
  });
}

/**
 * Every resource of a stack's template CloudFormation would have created, with its physical id:
 * what the local stack made of it (Ref), or for a type with no local meaning an id of the same
 * shape as CloudFormation's (`<stack>-<logicalId>-<suffix>`). A resource left out by its condition
 * is absent.
 */
function resourcesOf(record: StackRecord) {
  const stack = record.deployment;
  if (!stack) return [];
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
