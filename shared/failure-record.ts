/**
 * What Lambda sends to a Kinesis event-source mapping's on-failure destination for a batch it gives
 * up on. After a function error, `responseContext.functionError` is "Unhandled"; after a partial or
 * invalid batch response it is null; a batch discarded for its age (RecordAgeExceeded) was never
 * invoked for that reason and carries no responseContext.
 * https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 */
export interface FailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: "RetryAttemptsExhausted" | "RecordAgeExceeded";
    readonly approximateInvokeCount: number;
  };
  readonly responseContext?: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: string | null;
  };
  readonly version: "1.0";
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}
