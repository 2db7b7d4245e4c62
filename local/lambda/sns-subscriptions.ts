import { setTimeout as sleep } from "node:timers/promises";
import type { SNSEvent } from "aws-lambda";
import { functionReference } from "../cloudformation/assembly.js";
import { type AsyncAttempt, type AsyncTarget, invokeAsync } from "./async-invoke.js";

// A function subscribed to an SNS topic (Protocol lambda; CDK's LambdaSubscription), as Lambda runs
// it: SNS hands each message to Lambda, which invokes the function asynchronously with SNS's event —
// retried, then to the dead-letter queue and destinations (async-invoke.ts). The local SNS
// (local/sns) delivers here; SNS's part is done once Lambda has taken the event.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html

export interface SnsInvokeInfo extends AsyncAttempt {
  readonly functionName: string;
  readonly topicArn: string;
  readonly messageId: string;
}

export interface SnsInvocationOptions {
  /** Each invocation and retry. */
  readonly onInvoke?: (info: SnsInvokeInfo) => void;
}

export class SnsInvocations {
  private readonly running = new Set<Promise<void>>();

  constructor(
    /** How a function (and qualifier) of the stack is invoked asynchronously; undefined: not one of its functions. */
    private readonly target: (name: string, qualifier: string | undefined) => AsyncTarget | undefined,
    private readonly options: SnsInvocationOptions = {},
  ) {}

  /** SNS hands an event to a function: taken at once, invoked asynchronously. */
  readonly deliver = async (functionArn: string, event: unknown, from: { topicArn: string }): Promise<void> => {
    const named = functionReference(functionArn);
    const target = this.target(named.name, named.qualifier);
    if (!target) throw new Error(`the function ${functionArn} is not one of the local stack's`);
    const messageId = (event as SNSEvent).Records[0]?.Sns.MessageId ?? "";
    const invoked = invokeAsync(target, event, messageId, (attempt) =>
      this.options.onInvoke?.({ functionName: named.name, topicArn: from.topicArn, messageId, ...attempt }),
    )
      .catch(() => undefined)
      .finally(() => this.running.delete(invoked));
    this.running.add(invoked);
  };

  /** Resolves once every event handed over has been invoked, retried and given up on as it will be. */
  async drained(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0) {
      if (Date.now() > deadline) throw new Error("SNS subscriptions of functions did not drain in time");
      await Promise.race([Promise.allSettled([...this.running]), sleep(100)]);
    }
  }
}
