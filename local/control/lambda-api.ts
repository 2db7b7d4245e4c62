import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { functionReference, LOCAL_VERSION, type Resource, type StackDeployment } from "../cloudformation/assembly.js";
import { TemplateError } from "../cloudformation/intrinsics.js";
import { type AwsRequest, param } from "../iam/request.js";
import { mappingSpec, queueMappingSpec, type TemplateMapping } from "../lambda/mapping.js";
import type { RunningMapping } from "../stages/event-sources.js";
import { notAnswered, required, serviceError } from "./errors.js";

// Lambda's control plane, answered from the deployed functions and the running mappings: each
// function's configuration as the template set it, its published version and aliases, and each
// event-source mapping with its settings — which UpdateEventSourceMapping changes on the running
// mapping, as Lambda applies an update: switched off, a mapping reads nothing and keeps its place;
// switched on, it reads on from there; a new batch size, window, retry or filter applies from the
// next batch. A change is checked as the template's mappings are (local/lambda/mapping.ts).
// https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html

export interface LambdaDeps {
  /** The stacks running now. */
  readonly stacks: () => readonly StackDeployment[];
  /** The template's mappings, read and checked, with their stacks. */
  readonly mappings: readonly (TemplateMapping & { readonly stack: StackDeployment })[];
  /** The mappings as they run, by UUID (none when the functions or mappings do not run). */
  readonly running: () => ReadonlyMap<string, RunningMapping>;
  readonly createdAt: Date;
}

/** What UpdateEventSourceMapping changes here, by the property it sets (the input's names are the template's). */
const UPDATABLE = new Set([
  "Enabled",
  "BatchSize",
  "MaximumBatchingWindowInSeconds",
  "MaximumRetryAttempts",
  "MaximumRecordAgeInSeconds",
  "BisectBatchOnFunctionError",
  "ParallelizationFactor",
  "TumblingWindowInSeconds",
  "FunctionResponseTypes",
  "FilterCriteria",
]);

/** A mapping as Lambda's API describes it: its properties now (the template's, then each update's). */
interface MappingState {
  readonly template: TemplateMapping & { readonly stack: StackDeployment };
  properties: Record<string, unknown>;
  enabled: boolean;
  lastModified: Date;
}

export class LambdaApi {
  private readonly states = new Map<string, MappingState>();

  constructor(private readonly deps: LambdaDeps) {
    this.addMappings(deps.mappings, deps.createdAt);
  }

  /** Mappings deployed (at the start, or with a stack deployed since). */
  addMappings(mappings: readonly (TemplateMapping & { readonly stack: StackDeployment })[], at = new Date()): void {
    for (const m of mappings) {
      this.states.set(m.mapping.ref, {
        template: m,
        properties: { ...m.mapping.properties },
        enabled: m.enabled,
        lastModified: at,
      });
    }
  }

  answer(call: AwsRequest): { status?: number; output: Record<string, unknown> } {
    switch (call.operation) {
      case "ListFunctions":
        return { output: { Functions: this.functions().map((f) => this.configuration(f)) } };
      case "GetFunction": {
        const fn = this.function(call);
        const { stack } = fn;
        return {
          output: {
            Configuration: this.configuration(fn),
            Code: { RepositoryType: "S3", Location: `file://${stack.bundles[fn.resource.logicalId] ?? ""}` },
          },
        };
      }
      case "GetFunctionConfiguration":
        return { output: this.configuration(this.function(call)) };
      case "ListVersionsByFunction": {
        const fn = this.function(call);
        return {
          output: {
            Versions: ["$LATEST", LOCAL_VERSION].map((version) => this.configuration(fn, version)),
          },
        };
      }
      case "ListAliases": {
        const fn = this.function(call);
        return { output: { Aliases: aliasesOf(fn) } };
      }
      case "ListEventSourceMappings": {
        const named = param(call, "FunctionName");
        const fn = named === undefined ? undefined : functionReference(named).name;
        const source = param(call, "EventSourceArn");
        const listed = [...this.states.values()].filter(
          (s) =>
            (fn === undefined || s.template.fn.name === fn) &&
            (source === undefined || String(s.template.mapping.properties.EventSourceArn) === source),
        );
        return { output: { EventSourceMappings: listed.map((s) => this.describe(s)) } };
      }
      case "GetEventSourceMapping":
        return { output: this.describe(this.mapping(call)) };
      case "UpdateEventSourceMapping":
        return { status: 202, output: this.update(this.mapping(call), call.json ?? {}) };
      default:
        throw notAnswered();
    }
  }

  private functions() {
    return this.deps
      .stacks()
      .flatMap((stack) => stack.byType("AWS::Lambda::Function").map((resource) => ({ stack, resource })));
  }

  private function(call: AwsRequest) {
    const named = required(param(call, "FunctionName"), "FunctionName");
    const { name } = functionReference(named);
    const found = this.functions().find((f) => f.resource.name === name);
    if (!found) {
      throw serviceError("ResourceNotFoundException", `Function not found: ${named}`, 404);
    }
    return found;
  }

  /** A function's configuration, as Lambda describes it, of $LATEST or of its published version. */
  private configuration({ stack, resource }: { stack: StackDeployment; resource: Resource }, version = "$LATEST") {
    const p = resource.properties;
    const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    const bundle = stack.bundles[resource.logicalId];
    const code = bundle === undefined ? { size: 0, sha256: "" } : codeOf(bundle);
    const logging = p.LoggingConfig as { LogGroup?: string; LogFormat?: string } | undefined;
    return {
      FunctionName: resource.name,
      FunctionArn: version === "$LATEST" ? resource.arn : `${resource.arn}:${version}`,
      Runtime: p.Runtime === undefined ? undefined : String(p.Runtime),
      Role: String(p.Role),
      Handler: p.Handler === undefined ? undefined : String(p.Handler),
      CodeSize: code.size,
      Description: String(p.Description ?? ""),
      Timeout: Number(p.Timeout ?? 3),
      MemorySize: Number(p.MemorySize ?? 128),
      LastModified: this.deps.createdAt.toISOString().replace("Z", "+0000"),
      CodeSha256: code.sha256,
      Version: version,
      ...(variables === undefined
        ? {}
        : {
            Environment: { Variables: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])) },
          }),
      TracingConfig: { Mode: (p.TracingConfig as { Mode?: string } | undefined)?.Mode ?? "PassThrough" },
      State: "Active",
      LastUpdateStatus: "Successful",
      PackageType: "Zip",
      Architectures: (p.Architectures as string[] | undefined) ?? ["x86_64"],
      EphemeralStorage: { Size: Number((p.EphemeralStorage as { Size?: number } | undefined)?.Size ?? 512) },
      LoggingConfig: {
        LogFormat: logging?.LogFormat ?? "Text",
        LogGroup: logging?.LogGroup ?? `/aws/lambda/${resource.name}`,
      },
    };
  }

  private mapping(call: AwsRequest): MappingState {
    const uuid = required(param(call, "UUID"), "UUID");
    const state = this.states.get(uuid);
    if (!state) {
      throw serviceError(
        "ResourceNotFoundException",
        `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${uuid})`,
        404,
      );
    }
    return state;
  }

  /** A mapping as Lambda describes it, its settings as the running mapping reads them (Lambda's defaults filled in). */
  private describe(state: MappingState, transition?: "Enabling" | "Disabling" | "Updating") {
    const { template } = state;
    const resource = { ...template.mapping, properties: state.properties };
    const common = {
      UUID: template.mapping.ref,
      EventSourceMappingArn: template.mapping.arn,
      EventSourceArn: String(template.mapping.properties.EventSourceArn),
      FunctionArn: template.qualifier ? `${template.fn.arn}:${template.qualifier}` : template.fn.arn,
      LastModified: state.lastModified,
      State: transition ?? (state.enabled ? "Enabled" : "Disabled"),
      StateTransitionReason: "USER_INITIATED",
      ...(state.properties.FilterCriteria === undefined ? {} : { FilterCriteria: state.properties.FilterCriteria }),
      FunctionResponseTypes: (state.properties.FunctionResponseTypes as string[] | undefined) ?? [],
    };
    if (template.kind === "queue") {
      const spec = queueMappingSpec(resource, template.fifo);
      return {
        ...common,
        BatchSize: spec.batchSize,
        MaximumBatchingWindowInSeconds: spec.maxBatchingWindowSeconds,
        ...(state.properties.ScalingConfig === undefined ? {} : { ScalingConfig: state.properties.ScalingConfig }),
      };
    }
    const spec = mappingSpec(resource);
    const { settings } = spec;
    return {
      ...common,
      StartingPosition: settings.startingPosition,
      BatchSize: settings.batchSize,
      MaximumBatchingWindowInSeconds: settings.maxBatchingWindowSeconds,
      ParallelizationFactor: settings.parallelizationFactor,
      LastProcessingResult: "OK",
      DestinationConfig: { OnFailure: spec.destinationArn === undefined ? {} : { Destination: spec.destinationArn } },
      MaximumRecordAgeInSeconds: settings.maxRecordAgeSeconds,
      BisectBatchOnFunctionError: settings.bisectBatchOnError,
      MaximumRetryAttempts: settings.retryAttempts,
      TumblingWindowInSeconds: spec.tumblingWindowSeconds,
    };
  }

  /** An update, checked as the template's mapping would be, then applied to the running mapping. */
  private update(state: MappingState, input: Record<string, unknown>) {
    const changes = Object.entries(input).filter(([k]) => k !== "UUID");
    const refused = changes.map(([k]) => k).filter((k) => !UPDATABLE.has(k));
    if (refused.length > 0) {
      throw serviceError(
        "InvalidParameterValueException",
        `${refused.join(", ")}: not applied to a running mapping by the local stack (it applies ${[...UPDATABLE].join(", ")})`,
      );
    }
    const properties = { ...state.properties, ...Object.fromEntries(changes) };
    const resource = { ...state.template.mapping, properties };
    const { template } = state;
    const running = this.deps.running().get(template.mapping.ref);
    try {
      if (template.kind === "queue") {
        const spec = queueMappingSpec(resource, template.fifo);
        if (running?.kind === "queue") {
          const m = running.mapping;
          m.batchSize = spec.batchSize;
          m.maxBatchingWindowSeconds = spec.maxBatchingWindowSeconds;
          m.reportBatchItemFailures = spec.reportBatchItemFailures;
          m.filters = spec.filters;
        }
      } else {
        const spec = mappingSpec(resource);
        if (running?.kind === "stream") {
          const m = running.mapping;
          m.settings = spec.settings;
          m.filters = spec.filters;
          m.tumblingWindowSeconds = spec.tumblingWindowSeconds;
        }
      }
    } catch (err) {
      if (err instanceof TemplateError) throw serviceError("InvalidParameterValueException", err.message);
      throw err;
    }
    const before = state.enabled;
    state.properties = properties;
    if (typeof input.Enabled === "boolean") state.enabled = input.Enabled;
    if (running) running.mapping.enabled = state.enabled;
    state.lastModified = new Date();
    const transition = state.enabled === before ? "Updating" : state.enabled ? "Enabling" : "Disabling";
    return this.describe(state, transition);
  }
}

/** A function's aliases in the template (AWS::Lambda::Alias naming it), each on the one published version. */
function aliasesOf({ stack, resource }: { stack: StackDeployment; resource: Resource }) {
  return Object.entries(stack.template.Resources)
    .filter(([, raw]) => raw.Type === "AWS::Lambda::Alias")
    .filter(([, raw]) => {
      const named = raw.Properties?.FunctionName;
      const ref = (named as { Ref?: string } | undefined)?.Ref;
      return ref === resource.logicalId || named === resource.name;
    })
    .map(([, raw]) => {
      const name = String(raw.Properties?.Name);
      return {
        AliasArn: `${resource.arn}:${name}`,
        Name: name,
        FunctionVersion: LOCAL_VERSION,
        Description: String(raw.Properties?.Description ?? ""),
      };
    });
}

/** A bundle's size and SHA-256 (base64), as Lambda reports its code's: over its files, in order. */
function codeOf(dir: string): { size: number; sha256: string } {
  const hash = createHash("sha256");
  let size = 0;
  const walk = (at: string) => {
    for (const entry of readdirSync(at).sort()) {
      const file = path.join(at, entry);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const content = readFileSync(file);
        size += content.length;
        hash.update(path.relative(dir, file)).update(content);
      }
    }
  };
  walk(dir);
  return { size, sha256: hash.digest("base64") };
}
