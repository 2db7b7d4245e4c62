import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { TripwireStack } from "../../infra/stack.js";
import { stageConfig } from "../../infra/stage.js";

const cache = new Map<string, Template>();

/** The synthesized template of a stage (bundling the functions once per stage). */
export function synthesize(stage = "dev"): Template {
  let template = cache.get(stage);
  if (template === undefined) {
    const app = new App();
    const stack = new TripwireStack(app, "Tripwire", { config: stageConfig(stage) });
    template = Template.fromStack(stack);
    cache.set(stage, template);
  }
  return template;
}
