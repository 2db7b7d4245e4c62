import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { STACK_NAME } from "./outputs.js";
import { TripwireStack } from "./stack.js";
import { stageConfig } from "./stage.js";

const app = new App();
const stage = String(app.node.tryGetContext("stage") ?? "dev");

// A stack name per person or stage (`-c stackName=Tripwire-ana`), so that two can share an account.
const stackName = app.node.tryGetContext("stackName") ?? (stage === "dev" ? STACK_NAME : `${STACK_NAME}-${stage}`);
new TripwireStack(app, String(stackName), {
  config: stageConfig(stage),
  context: (name) => app.node.tryGetContext(name),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag's AWS Solutions pack: synth fails on any finding not acknowledged with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
