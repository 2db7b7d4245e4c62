import type { Message } from "./sinks.js";

// The alert topic's one contract, for every application that alerts on it: what a message is grouped and deduplicated by, which SNS attributes
// subscribers can filter on, and which metric it counts toward. Each application says only which
// of its fields names what the alert is about.

/**
 * ALARM and OK for alarm-style rules (a state per subject and rule). An application that judges each
 * record on its own declares its own status word in its folder; any status but OK counts as raised.
 */
export type AlertStatus = string;

/** What every alert carries besides its subject. */
export interface AlertFields {
  readonly status: AlertStatus;
  /** The stream sequence number of the record that caused it. */
  readonly sequenceNumber: string;
  /** Alarm-style alerts: the rule whose state changed. */
  readonly rule?: string;
  /** Judged alerts: the rules that fired, in the application's order. */
  readonly reasons?: readonly { readonly rule: string }[];
}

/** How an application's alerts go out: as messages on the FIFO topic, and as metrics. */
export interface AlertContract<A> {
  message(alert: A): Message;
  metricOf(alert: A): string;
}

/** The metric an alert counts toward: a cleared alarm, or one raised (an ALARM, or an application's own verdict). */
const metricOf = (status: AlertStatus): string => (status === "OK" ? "AlertsCleared" : "AlertsRaised");

/**
 * The contract for alerts about `subject` (the field naming a zone, a server, …): one FIFO group
 * per subject, so each subject's alerts arrive in order; unique to (subject, record, rule), so a
 * re-send is dropped; attributes `<subject>`, `status` and `rule` (or `reasons`, comma-separated).
 */
export function alertContract<A extends AlertFields>(subject: keyof A & string): AlertContract<A> {
  return {
    message: (alert) => {
      const about = String(alert[subject]);
      const reasons = alert.reasons?.map((r) => r.rule).join(",");
      return {
        body: alert,
        group: about,
        identity: [about, alert.sequenceNumber, alert.rule ?? alert.status],
        attributes: {
          [subject]: about,
          status: alert.status,
          ...(alert.rule === undefined ? {} : { rule: alert.rule }),
          ...(reasons === undefined ? {} : { reasons }),
        },
      };
    },
    metricOf: (alert) => metricOf(alert.status),
  };
}
