import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { unzipSync } from "fflate";
import { deployStack, type RawTemplate, type StackDeployment } from "../cloudformation/assembly.js";
import type { Notes } from "../cloudformation/deploy.js";
import { TemplateError } from "../cloudformation/intrinsics.js";
import type { Deployer } from "../control/cloudformation.js";
import type { Gateway } from "../gateway/gateway.js";
import type { LogEvents } from "../lambda/log-events.js";
import type { TemplateMapping } from "../lambda/mapping.js";
import { type CheckedAssembly, checkStacks } from "./assembly.js";
import { type RunningMapping, startEventSources } from "./event-sources.js";
import { type Functions, startFunctions } from "./functions.js";
import type { LocalStackOptions } from "./options.js";
import { createStackResources } from "./resources.js";
import type { Services } from "./services.js";
import { Parts } from "./stages.js";
import { swapInPlace } from "./swap.js";

// Stacks deployed through CloudFormation's API into the running local stack, as `cdk deploy`
// deploys them: the template (given, or read from the endpoint's S3, where `cdk deploy` put it) is
// read as `npm start` reads a template, each function's code is fetched from S3 and unzipped, and
// the same stages run for it — resources created, functions started beside those running, their
// mappings polled — with the account's policies now over every stack. An update of such a stack
// swaps in what Lambda changes in place (a function's code, environment, handler, timeout, memory;
// roles' and resources' policies) and refuses anything else, by name, as a failed update.

export interface DeploymentsDeps {
  readonly options: LocalStackOptions;
  readonly gateway: Gateway;
  readonly services: Services;
  readonly notes: Notes;
  readonly logs: LogEvents;
  /** What `npm start` deployed and runs. */
  readonly assembly: CheckedAssembly;
  readonly functions: Functions | undefined;
  /** A stack deployed: its mappings and how they run, for Lambda's API. */
  readonly onDeployed: (
    stack: StackDeployment,
    mappings: readonly (TemplateMapping & { readonly stack: StackDeployment })[],
    running: ReadonlyMap<string, RunningMapping>,
  ) => void;
}

export function stackDeployer(parts: Parts, deps: DeploymentsDeps): Deployer {
  const { options, gateway, services } = deps;
  const running: StackDeployment[] = [...deps.assembly.stacks];
  let functions = deps.functions;
  /** Each deployed stack's function hosts and access keys, for an update's swap. */
  const deployedFunctions = new Map<string, Functions>();

  const s3Object = async (bucket: string, key: string): Promise<Uint8Array> => {
    const out = await services.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!out.Body) throw new TemplateError(`s3://${bucket}/${key} is empty`);
    return out.Body.transformToByteArray();
  };

  /** A template read as `npm start` reads one, each function's code fetched from S3 into the directory it runs from. */
  const read = async (
    stackName: string,
    template: RawTemplate,
    parameters: Readonly<Record<string, string>>,
  ): Promise<StackDeployment> => {
    // Code by its S3 key, a hash of its content: a function whose code did not change keeps its directory.
    const dir = path.join(options.workDir, "deployments", "code");
    const stack = deployStack(
      stackName,
      template,
      { region: services.region, endpoint: gateway.url, parameters },
      (key) => path.join(dir, key.replace(/\.zip$/, "")),
    );
    for (const fn of stack.byType("AWS::Lambda::Function")) {
      const code = fn.properties.Code as { S3Bucket?: string; S3Key?: string } | undefined;
      const into = stack.bundles[fn.logicalId];
      if (code?.S3Bucket === undefined || code.S3Key === undefined || into === undefined || existsSync(into)) continue;
      const files = unzipSync(await s3Object(code.S3Bucket, code.S3Key));
      // Unzipped beside, then moved in: a directory that exists holds the whole bundle.
      const partial = `${into}.partial-${process.pid}`;
      mkdirSync(partial, { recursive: true });
      for (const [name, content] of Object.entries(files)) {
        if (name.endsWith("/")) continue;
        const file = path.resolve(partial, name);
        if (!file.startsWith(`${path.resolve(partial)}${path.sep}`)) {
          throw new TemplateError(`${fn.logicalId}: its code's zip names ${name}, outside the bundle`);
        }
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
      renameSync(partial, into);
    }
    return stack;
  };

  return {
    async fetchTemplate(url) {
      const { bucket, key } = s3Location(url);
      return Buffer.from(await s3Object(bucket, key)).toString("utf8");
    },

    async deploy({ stackName, template, parameters, previous }) {
      const stack = await read(stackName, template, parameters);
      const others = running.filter((s) => s.stackName !== stackName);
      const checked = checkStacks([stack], options, { dir: "", reused: false }, others);
      if (previous) {
        // Its functions: deployed through CloudFormation, or by `npm start`.
        const own =
          deployedFunctions.get(stackName) ??
          (deps.assembly.stacks.some((s) => s.stackName === stackName) ? deps.functions : undefined);
        const swap = swapInPlace(previous, stack, {
          hosts: own?.hosts ?? new Map(),
          accessKeys: own?.accessKeys ?? new Map(),
          gateway,
          identities: () => checked.identities.get(stackName) ?? new Map(),
        });
        // All or nothing, as an update that fails is rolled back.
        if (swap.cannot.length > 0) {
          throw new TemplateError(
            `the local stack cannot update ${swap.cannot.join(", ")} in place: stop it and deploy again to replace them`,
          );
        }
        swap.apply();
        running.splice(running.indexOf(previous), 1, stack);
        gateway.setPolicies(checked.policies);
        return stack;
      }
      const stackParts = new Parts();
      try {
        await createStackResources(stackParts, options, [stack], services, gateway, deps.notes);
        const started =
          options.runFunctions === false
            ? undefined
            : startFunctions(stackParts, options, {
                assembly: checked,
                gateway,
                services,
                notes: deps.notes,
                chaos: undefined,
                logs: deps.logs,
                ...(functions ? { alongside: functions } : {}),
              });
        const sources =
          started === undefined || options.runMappings === false
            ? undefined
            : await startEventSources(stackParts, options, {
                assembly: checked,
                functions: started,
                gateway,
                services,
                chaos: undefined,
              });
        gateway.setPolicies(checked.policies);
        running.push(stack);
        if (started) {
          deployedFunctions.set(stackName, started);
          functions = started;
        }
        deps.onDeployed(stack, checked.mappings, sources?.running ?? new Map());
      } catch (err) {
        await stackParts.stop();
        throw err;
      }
      parts.add(() => stackParts.stop());
      return stack;
    },
  };
}

/** The bucket and key an S3 object URL names: path-style, virtual-hosted, or s3://. */
export function s3Location(url: string): { bucket: string; key: string } {
  const parsed = new URL(url);
  if (parsed.protocol === "s3:") return { bucket: parsed.hostname, key: decodeURIComponent(parsed.pathname.slice(1)) };
  const hosted = /^(.+)\.s3[.-]/.exec(parsed.hostname)?.[1];
  if (hosted) return { bucket: hosted, key: decodeURIComponent(parsed.pathname.slice(1)) };
  const [bucket = "", ...key] = parsed.pathname.slice(1).split("/");
  return { bucket, key: decodeURIComponent(key.join("/")) };
}
