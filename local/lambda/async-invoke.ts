import { setTimeout as sleep } from "node:timers/promises";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Invocation } from "./function-host.js";

// An asynchronous invocation as Lambda runs one (an SNS subscription's, an Invoke of type Event): a
// failed invocation is retried — twice, or the EventInvokeConfig's MaximumRetryAttempts; after 1
// minute and 2 minutes in an account, 1 s and 2 s here — then the event goes to the function's
// dead-letter queue (DeadLetterConfig, an SQS queue) with Lambda's attributes and the invocation
// record to its on-failure destination, each sent as the function's role; a success's record to its
// on-success destination. Without either, a failed event is dropped.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html

export interface AsyncTarget {
  readonly invoke: (event: unknown) => Promise<Invocation>;
  /** The function's ARN as the invocation record names it (`…:function:NAME:$LATEST`). */
  readonly functionArn: string;
  /** Retries after a failed invocation (EventInvokeConfig's MaximumRetryAttempts, two by default). */
  readonly retries: number;
  readonly deadLetter?: { readonly queueUrl: string; readonly sqs: SQSClient };
  /** EventInvokeConfig's destinations: each sends an invocation record. */
  readonly onSuccess?: (record: InvocationRecord) => Promise<void>;
  readonly onFailure?: (record: InvocationRecord) => Promise<void>;
}

/** Lambda's record of an asynchronous invocation, as its destinations get it. */
export interface InvocationRecord {
  readonly version: "1.0";
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: "Success" | "RetriesExhausted";
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: 200;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly responsePayload: unknown;
}

export interface AsyncAttempt {
  readonly outcome: "ok" | "error";
  /** 1 for the first invocation, 2 and 3 for retries. */
  readonly attempt: number;
  readonly error?: string;
  /** After the last attempt: where the event went. */
  readonly gaveUp?: "on-failure destination" | "dead-letter queue" | "dropped";
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
  const record = (
    condition: InvocationRecord["requestContext"]["condition"],
    count: number,
    response: unknown,
    functionError?: string,
  ): InvocationRecord => ({
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: { requestId, functionArn: target.functionArn, condition, approximateInvokeCount: count },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", ...(functionError ? { functionError } : {}) },
    responsePayload: response,
  });
  for (let attempt = 1; attempt <= target.retries + 1; attempt++) {
    if (attempt > 1) await sleep(RETRY_DELAYS_MS[attempt - 2] ?? 2000);
    const result = await target.invoke(event);
    if (result.kind === "result") {
      report({ outcome: "ok", attempt });
      await target.onSuccess?.(record("Success", attempt, result.payload ?? null));
      return;
    }
    failure = result;
    const error = `${result.errorType}: ${result.errorMessage}`;
    const last = attempt === target.retries + 1;
    report({
      outcome: "error",
      attempt,
      error,
      ...(last
        ? { gaveUp: target.onFailure ? "on-failure destination" : target.deadLetter ? "dead-letter queue" : "dropped" }
        : {}),
    });
  }
  if (!failure) return;
  // Destinations in addition to, or instead of, a dead-letter queue: each gets what it takes.
  const { errorType, errorMessage } = failure;
  await target.onFailure?.(
    record("RetriesExhausted", target.retries + 1, { errorType, errorMessage, trace: [] }, "Unhandled"),
  );
  if (!target.deadLetter) return;
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
