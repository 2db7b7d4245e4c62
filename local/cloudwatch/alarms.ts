import {
  type AlarmDefinition,
  type AlarmState,
  alarmDatapoints,
  type Evaluation,
  evaluateAlarm,
} from "./alarm-evaluation.js";
import { alarmsOfRule, type CompositeAlarmDefinition, reasonTime, ruleHolds } from "./composite.js";
import type { MetricStore } from "./metric-store.js";

// The template's alarms, run: each metric alarm evaluated once a minute (CloudWatch's cadence,
// shrunk by the time scale), each composite alarm whenever an alarm its rule names changes state; a
// change of state recorded in its history, handed to `onChange` (npm start prints it) and its
// actions carried out — an SNS topic gets the message CloudWatch sends.

export type AnyAlarmDefinition = AlarmDefinition | CompositeAlarmDefinition;

/** How often CloudWatch evaluates a high-resolution alarm (one whose period is under a minute). */
const HIGH_RESOLUTION_CADENCE_MS = 10_000;

export interface AlarmStatus {
  readonly def: AnyAlarmDefinition;
  state: AlarmState;
  reason: string;
  reasonData: Record<string, unknown>;
  updated: number;
  readonly history: { t: number; from: AlarmState; to: AlarmState; reason: string }[];
}

export interface StateChange {
  readonly alarm: AnyAlarmDefinition;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
}

export interface AlarmRunnerOptions {
  readonly region: string;
  readonly account: string;
  /** > 1 shrinks periods and the evaluation cadence (tests: 60 makes a minute a second). */
  readonly timeScale?: number;
  readonly onChange?: (change: StateChange) => void;
  /** Publishes an alarm's message to an SNS topic (the gateway's SNS, as the account). */
  readonly publish: (topicArn: string, subject: string, message: string) => Promise<void>;
  readonly onActionError?: (alarm: string, action: string, err: unknown) => void;
}

export class AlarmRunner {
  readonly alarms = new Map<string, AlarmStatus>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  /** When each metric alarm was last evaluated (a new one: when it was put, so it is first evaluated a cadence later). */
  private readonly lastEvaluated = new Map<string, number>();

  /** Alarm names by ARN (a composite alarm's rule may name either). */
  private readonly names = new Map<string, string>();

  constructor(
    defs: readonly AnyAlarmDefinition[],
    private readonly store: MetricStore,
    private readonly options: AlarmRunnerOptions,
  ) {
    const now = Date.now();
    for (const def of defs) {
      this.alarms.set(def.name, {
        def,
        state: "INSUFFICIENT_DATA",
        reason: "Unchecked: Initial alarm creation",
        reasonData: {},
        updated: now,
        history: [],
      });
      this.names.set(def.arn, def.name);
    }
  }

  /** The state of an alarm a composite alarm's rule names (one the stack does not have: INSUFFICIENT_DATA). */
  stateOf(nameOrArn: string): AlarmState {
    return this.alarms.get(this.names.get(nameOrArn) ?? nameOrArn)?.state ?? "INSUFFICIENT_DATA";
  }

  /** An alarm put through the API (PutMetricAlarm): a new one starts in INSUFFICIENT_DATA; one replaced keeps its state. */
  put(def: AnyAlarmDefinition): void {
    const known = this.alarms.get(def.name);
    const now = Date.now();
    if (!known) this.lastEvaluated.set(def.name, now);
    this.alarms.set(
      def.name,
      known
        ? { ...known, def }
        : {
            def,
            state: "INSUFFICIENT_DATA",
            reason: "Unchecked: Initial alarm creation",
            reasonData: {},
            updated: now,
            history: [],
          },
    );
    this.names.set(def.arn, def.name);
  }

  /** DeleteAlarms. */
  delete(name: string): void {
    const known = this.alarms.get(name);
    if (!known) return;
    this.alarms.delete(name);
    this.names.delete(known.def.arn);
    this.lastEvaluated.delete(name);
  }

  /** Whether the stack has the alarm a rule names. */
  has(nameOrArn: string): boolean {
    return this.alarms.has(this.names.get(nameOrArn) ?? nameOrArn);
  }

  get timeScale(): number {
    return this.options.timeScale ?? 1;
  }

  /**
   * Decides every composite alarm on its children's states, then evaluates each metric alarm at
   * CloudWatch's cadence: once a minute, every ten seconds for a high-resolution one (a period
   * under a minute).
   */
  start(): void {
    this.running = this.running.then(async () => {
      for (const status of this.alarms.values()) {
        if (status.def.kind === "composite") await this.decideComposite(status, status.def, undefined, Date.now());
      }
    });
    const { lastEvaluated } = this;
    const tickMs = HIGH_RESOLUTION_CADENCE_MS / this.timeScale;
    this.timer = setInterval(() => {
      const now = Date.now();
      const due = [...this.alarms.values()].filter((status) => {
        if (status.def.kind !== "metric") return false;
        const cadence = (status.def.periodSeconds < 60 ? HIGH_RESOLUTION_CADENCE_MS : 60_000) / this.timeScale;
        const last = lastEvaluated.get(status.def.name) ?? this.started;
        if (now - last < cadence - tickMs / 2) return false;
        lastEvaluated.set(status.def.name, now);
        return true;
      });
      if (due.length > 0) this.running = this.running.then(() => this.evaluate(due, now));
    }, tickMs);
    this.timer.unref();
  }

  /** When the runner was made: an alarm is first evaluated a cadence after it. */
  private readonly started = Date.now();

  /** Evaluates every alarm now; changes are recorded and acted on before it resolves. */
  async evaluateAll(now = Date.now()): Promise<void> {
    await this.evaluate([...this.alarms.values()], now);
  }

  private async evaluate(statuses: readonly AlarmStatus[], now: number): Promise<void> {
    for (const status of statuses) {
      if (status.def.kind !== "metric") continue;
      const points = alarmDatapoints(status.def, this.store, now, this.timeScale);
      await this.apply(status, evaluateAlarm(status.def, points, status.state), now);
    }
  }

  /** SetAlarmState: the state holds until the next evaluation decides again. */
  async setState(name: string, state: AlarmState, reason: string, reasonData?: Record<string, unknown>): Promise<void> {
    const status = this.alarms.get(name);
    if (!status) throw new Error(`no alarm ${name}`);
    await this.apply(status, { state, reason, reasonData: reasonData ?? {} }, Date.now());
  }

  private async apply(status: AlarmStatus, next: Evaluation, now: number): Promise<void> {
    const from = status.state;
    status.reason = next.reason;
    status.reasonData = next.reasonData;
    if (next.state === from) return;
    status.state = next.state;
    status.updated = now;
    status.history.push({ t: now, from, to: next.state, reason: next.reason });
    this.options.onChange?.({ alarm: status.def, from, to: next.state, reason: next.reason });
    if (!status.def.actionsEnabled) return;
    for (const action of status.def.actions[next.state]) {
      if (!isSnsAction(action)) continue; // others are named at start as not carried out
      const { subject, message } = alarmMessage(status, from, this.options);
      await this.options.publish(action, subject, message).catch((err) => {
        this.options.onActionError?.(status.def.name, action, err);
      });
    }
    // The composite alarms whose rules name this one decide again.
    for (const other of this.alarms.values()) {
      const def = other.def;
      if (def.kind !== "composite" || !ruleNames(def, status.def)) continue;
      await this.decideComposite(other, def, status, now);
    }
  }

  /** A composite alarm's state from its rule: ALARM when it holds, OK when not; `trigger` the child that changed. */
  private async decideComposite(
    status: AlarmStatus,
    def: CompositeAlarmDefinition,
    trigger: AlarmStatus | undefined,
    now: number,
  ): Promise<void> {
    const holds = ruleHolds(def.rule, (alarm) => this.stateOf(alarm));
    // Its reason names the child whose change moved it: a change that does not move it leaves it.
    if ((holds ? "ALARM" : "OK") === status.state) return;
    const reason = trigger
      ? `${trigger.def.arn} transitioned to ${trigger.state} at ${reasonTime(trigger.updated)}`
      : `The alarm rule is ${holds ? "TRUE" : "FALSE"} for its alarms' states at creation`;
    const triggering = trigger
      ? [{ arn: trigger.def.arn, state: { value: trigger.state, timestamp: new Date(trigger.updated).toISOString() } }]
      : [];
    await this.apply(
      status,
      { state: holds ? "ALARM" : "OK", reason, reasonData: { triggeringAlarms: triggering } },
      now,
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

/** Whether a composite alarm's rule names an alarm (by name or ARN). */
function ruleNames(def: CompositeAlarmDefinition, alarm: AnyAlarmDefinition): boolean {
  return alarmsOfRule(def.rule).some((a) => a === alarm.name || a === alarm.arn);
}

/** An alarm action the local stack carries out: an SNS topic. */
const isSnsAction = (action: string) => action.startsWith("arn:aws:sns:");

/** The actions of a template's alarms that are not SNS topics: not carried out locally. */
export function unsupportedActions(defs: readonly AnyAlarmDefinition[]): { alarm: string; action: string }[] {
  return defs.flatMap((def) =>
    Object.values(def.actions)
      .flat()
      .filter((a) => !isSnsAction(a))
      .map((action) => ({ alarm: def.logicalId, action })),
  );
}

const REGION_NAMES: Readonly<Record<string, string>> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "eu-west-1": "EU (Ireland)",
  "eu-central-1": "EU (Frankfurt)",
};

/**
 * The notification CloudWatch publishes to an alarm's SNS action: the subject `ALARM: "name" in
 * Region` and the JSON message with the alarm, the states, the reason and the trigger.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-sns-notifications.html
 */
export function alarmMessage(
  status: AlarmStatus,
  from: AlarmState,
  where: { region: string; account: string },
): { subject: string; message: string } {
  const { def } = status;
  const region = REGION_NAMES[where.region] ?? where.region;
  const p = def.properties;
  const subject = `${status.state}: "${def.name}" in ${region}`;
  const common = {
    AlarmName: def.name,
    AlarmDescription: p.AlarmDescription ?? null,
    AWSAccountId: where.account,
    AlarmConfigurationUpdatedTimestamp: new Date(status.history[0]?.t ?? status.updated).toISOString(),
    NewStateValue: status.state,
    NewStateReason: status.reason,
    StateChangeTime: new Date(status.updated).toISOString(),
    Region: region,
    AlarmArn: def.arn,
    OldStateValue: from,
    OKActions: def.actions.OK,
    AlarmActions: def.actions.ALARM,
    InsufficientDataActions: def.actions.INSUFFICIENT_DATA,
  };
  if (def.kind === "composite") {
    // A composite alarm's message has its rule and the children that triggered it instead of a trigger.
    const triggering = (status.reasonData.triggeringAlarms ?? []) as {
      arn: string;
      state: { value: string; timestamp: string };
    }[];
    const message = {
      ...common,
      AlarmRule: p.AlarmRule,
      TriggeringChildren: triggering.map((c) => ({
        Arn: c.arn,
        State: { Value: c.state.value, Timestamp: c.state.timestamp },
      })),
    };
    return { subject, message: JSON.stringify(message) };
  }
  const trigger =
    def.source.kind === "metric"
      ? {
          MetricName: def.source.stat.metric.name,
          Namespace: def.source.stat.metric.namespace,
          StatisticType: p.ExtendedStatistic ? "ExtendedStatistic" : "Statistic",
          Statistic: String(p.ExtendedStatistic ?? p.Statistic ?? "").toUpperCase(),
          Unit: p.Unit ?? null,
          Dimensions: def.source.stat.metric.dimensions.map((d) => ({ value: d.Value, name: d.Name })),
          Period: def.periodSeconds,
        }
      : { Metrics: p.Metrics, Period: def.periodSeconds };
  const message = {
    ...common,
    Trigger: {
      ...trigger,
      EvaluationPeriods: def.evaluationPeriods,
      // Said only of an alarm that sets it (M out of N); otherwise it is EvaluationPeriods, unsaid.
      ...(p.DatapointsToAlarm === undefined ? {} : { DatapointsToAlarm: def.datapointsToAlarm }),
      ComparisonOperator: def.comparison,
      Threshold: def.threshold,
      TreatMissingData: def.treatMissingData,
      EvaluateLowSampleCountPercentile: "",
    },
  };
  return { subject, message: JSON.stringify(message) };
}
