import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { TripwireStack } from "../../infra/stack.js";
import { stageConfig } from "../../infra/stage.js";

const cache = new Map<string, Template>();

/** The synthesized template of a stage with a CDK context (bundling the functions once per stage and context). */
export function synthesize(stage = "dev", context: Record<string, string> = {}): Template {
  const id = JSON.stringify([stage, context]);
  let template = cache.get(id);
  if (template === undefined) {
    const app = new App();
    const stack = new TripwireStack(app, "Tripwire", {
      config: stageConfig(stage),
      context: (name) => context[name],
    });
    template = Template.fromStack(stack);
    cache.set(id, template);
  }
  return template;
}

/** The campaign table's properties as the template declares them (keys, billing). */
export function campaignTableProperties(): Record<string, unknown> {
  const tables = synthesize().findResources("AWS::DynamoDB::Table");
  const [, table] = Object.entries(tables).find(([id]) => id.startsWith("CampaignTable")) ?? [];
  if (table === undefined) throw new Error("no campaign table in the template");
  return table.Properties as Record<string, unknown>;
}
