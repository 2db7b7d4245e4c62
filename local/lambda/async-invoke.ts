import { setTimeout as sleep } from "node:timers/promises";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Invocation } from "./function-host.js";

// An asynchronous invocation as Lambda runs one (an SNS subscription's, an Invoke of type Event): a
// failed invocation is retried twice — after 1 minute and 2 minutes in an account, 1 s and 2 s here
// — then the event goes to the function's dead-letter queue (DeadLetterConfig, an SQS queue) with
// Lambda's attributes, sent as the function's role; without one it is dropped.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html

export interface AsyncTarget {
  readonly invoke: (event: unknown) => Promise<Invocation>;
  /** Retries after a failed invocation (EventInvokeConfig's MaximumRetryAttempts, two by default). */
  readonly retries: number;
  readonly deadLetter?: { readonly queueUrl: string; readonly sqs: SQSClient };
}

export interface AsyncAttempt {
  readonly outcome: "ok" | "error";
  /** 1 for the first invocation, 2 and 3 for retries. */
  readonly attempt: number;
  readonly error?: string;
  /** After the last attempt: where the event went. */
  readonly gaveUp?: "dead-letter queue" | "dropped";
}

const RETRY_DELAYS_MS = [1000, 2000];

/** Invokes until it succeeds or its retries are spent, then hands the event to the dead-letter queue. */
export async function invokeAsync(
  target: AsyncTarget,
  event: unknown,
  requestId: string,
  report: (attempt: AsyncAttempt) => void = () => undefined,
): Promise<void> {
  let failure: { errorType: string; errorMessage: string } | undefined;
  for (let attempt = 1; attempt <= target.retries + 1; attempt++) {
    if (attempt > 1) await sleep(RETRY_DELAYS_MS[attempt - 2] ?? 2000);
    const result = await target.invoke(event);
    if (result.kind === "result") {
      report({ outcome: "ok", attempt });
      return;
    }
    failure = result;
    const error = `${result.errorType}: ${result.errorMessage}`;
    const last = attempt === target.retries + 1;
    report({
      outcome: "error",
      attempt,
      error,
      ...(last ? { gaveUp: target.deadLetter ? "dead-letter queue" : "dropped" } : {}),
    });
  }
  if (!target.deadLetter || !failure) return;
  // Lambda's dead-letter message: the event, with the request and the error as attributes.
  await target.deadLetter.sqs.send(
    new SendMessageCommand({
      QueueUrl: target.deadLetter.queueUrl,
      MessageBody: JSON.stringify(event),
      MessageAttributes: {
        RequestID: { DataType: "String", StringValue: requestId },
        ErrorCode: { DataType: "Number", StringValue: "200" },
        ErrorMessage: { DataType: "String", StringValue: failure.errorMessage.slice(0, 256) },
      },
    }),
  );
}
