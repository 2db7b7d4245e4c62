import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { emailHash } from "../shared/email.js";
import type { RejectedRecord } from "./rejects.js";
import type { BatchSummary } from "./stream-batch.js";

export const NAMESPACE = "Tripwire";

/** A function's logs and metrics ({@link observability}). */
export type Observability = ReturnType<typeof observability>;

/** Structured JSON logs and EMF metrics for one function, through Powertools. */
export function observability(serviceName: string) {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: NAMESPACE, serviceName });
  return {
    logger,
    metrics,
    count(name: string, value: number): void {
      if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
    },
    /** Logs a batch's summary; rejected records are logged by position and reason, never by content. */
    summary(summary: BatchSummary, rejected: readonly RejectedRecord[]): void {
      if (summary.rejected > 0) metrics.addMetric("RecordsRejected", MetricUnit.Count, summary.rejected);
      if (summary.failed > 0) metrics.addMetric("RecordsRetried", MetricUnit.Count, summary.failed);
      for (const r of rejected) {
        logger.warn("record rejected", {
          shardId: r.shardId,
          sequenceNumber: r.sequenceNumber,
          reason: maskEmails(r.reason),
        });
      }
      logger.info("batch done", { ...summary });
    },
    error(err: unknown): void {
      if (err instanceof Error) logger.error("batch work failed; records will be retried", err);
      else logger.error("batch work failed; records will be retried", { error: String(err) });
    },
  };
}

/** Replaces anything shaped like an e-mail address with its pseudonym: logs never hold one. */
export function maskEmails(text: string): string {
  return text.replace(/[^\s@"',;<>()[\]]+@[^\s@"',;<>()[\]]+/g, (email) => `<email:${emailHash(email.toLowerCase())}>`);
}
