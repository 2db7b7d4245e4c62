import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { StackDeployment } from "../cloudformation/assembly.js";
import type { CloudWatchHandler } from "../gateway/gateway.js";
import { alarmDefinition } from "./alarm-evaluation.js";
import { AlarmRunner, type AnyAlarmDefinition, type StateChange, unsupportedActions } from "./alarms.js";
import { cloudWatchApi } from "./api.js";
import { alarmsOfRule, COMPOSITE, compositeDefinition } from "./composite.js";
import { MetricStore } from "./metric-store.js";
import { ArrivalClock, oldestMessageAgeSeconds, type QueueContents } from "./queue-age.js";
import { ServiceMetrics } from "./service-metrics.js";

// The local CloudWatch: the metrics store the services and functions feed, the template's alarms
// run over it, the queues sampled once a minute, and the API the gateway answers with.

export interface LocalCloudWatchOptions {
  readonly region: string;
  readonly account: string;
  /** > 1 shrinks the alarms' periods and the sampling cadence by this factor (tests). */
  readonly timeScale?: number;
  readonly onAlarm?: (change: StateChange) => void;
}

export class LocalCloudWatch {
  readonly store = new MetricStore();
  readonly metrics = new ServiceMetrics(this.store);
  private runner: AlarmRunner | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly options: LocalCloudWatchOptions) {
    this.handle = cloudWatchApi(this.store, () => this.runner, options);
  }

  get timeScale(): number {
    return this.options.timeScale ?? 1;
  }

  /** The alarms being run (after `startAlarms`). */
  get alarms(): AlarmRunner | undefined {
    return this.runner;
  }

  /** CloudWatch's API for the gateway. */
  readonly handle: CloudWatchHandler;

  /**
   * Runs the stacks' alarms; SNS actions publish through `sns` (the account's client). Returns
   * what is not run as CloudWatch would run it, one note each.
   */
  startAlarms(stacks: readonly StackDeployment[], sns: SNSClient): string[] {
    const notes: string[] = [];
    const defs: AnyAlarmDefinition[] = [];
    for (const stack of stacks) {
      for (const alarm of stack.alarms) {
        try {
          defs.push(alarm.type === COMPOSITE ? compositeDefinition(alarm) : alarmDefinition(alarm));
        } catch (err) {
          notes.push(`${(err as Error).message}: the alarm is not run`);
        }
      }
    }
    const known = new Set(defs.flatMap((d) => [d.name, d.arn]));
    for (const def of defs) {
      if (def.kind !== "composite") continue;
      for (const child of alarmsOfRule(def.rule).filter((c) => !known.has(c))) {
        notes.push(
          `composite alarm ${def.logicalId}: its rule names ${child}, no alarm of the stack (read as INSUFFICIENT_DATA)`,
        );
      }
      if (def.properties.ActionsSuppressor !== undefined) {
        notes.push(
          `composite alarm ${def.logicalId}: ActionsSuppressor is not honoured locally (its actions are carried out)`,
        );
      }
    }
    for (const { alarm, action } of unsupportedActions(defs)) {
      notes.push(`alarm ${alarm}: the action ${action} is not carried out locally (SNS topics are)`);
    }
    this.runner = new AlarmRunner(defs, this.store, {
      region: this.options.region,
      account: this.options.account,
      timeScale: this.timeScale,
      ...(this.options.onAlarm ? { onChange: this.options.onAlarm } : {}),
      publish: async (topicArn, subject, message) => {
        await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
      },
    });
    this.runner.start();
    return notes;
  }

  /**
   * Samples the queues once a minute (scaled), as SQS publishes their metrics: depth, and the age of
   * the oldest message (in scaled time too, so an age alarm fires as it would over real minutes).
   */
  sampleQueues(
    read: (queueName: string) => Promise<QueueContents | undefined>,
    queues: readonly { readonly name: string; readonly deadLetterTarget: boolean }[],
  ): void {
    const clocks = new Map(queues.filter((q) => q.deadLetterTarget).map((q) => [q.name, new ArrivalClock()]));
    const sample = async () => {
      for (const q of queues) {
        const contents = await read(q.name).catch(() => undefined);
        if (contents === undefined) continue;
        const age = oldestMessageAgeSeconds(contents, Date.now(), clocks.get(q.name));
        this.metrics.queue(q.name, {
          visible: contents.visible.length,
          notVisible: contents.inFlight.length,
          ...(age === undefined ? {} : { oldestAgeSeconds: age * this.timeScale }),
        });
      }
    };
    this.sampling = sample();
    this.sampler = setInterval(() => {
      this.sampling = this.sampling.then(sample);
    }, 60_000 / this.timeScale);
    this.sampler.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.sampling;
    await this.runner?.stop();
  }
}
