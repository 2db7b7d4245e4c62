import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { StackDeployment } from "../cloudformation/assembly.js";
import type { CloudWatchHandler } from "../gateway/gateway.js";
import { type AlarmDefinition, alarmDefinition } from "./alarm-evaluation.js";
import { AlarmRunner, type StateChange, unsupportedActions } from "./alarms.js";
import { cloudWatchApi } from "./api.js";
import { MetricStore } from "./metric-store.js";
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

  constructor(private readonly options: LocalCloudWatchOptions) {}

  get timeScale(): number {
    return this.options.timeScale ?? 1;
  }

  /** The alarms being run (after `startAlarms`). */
  get alarms(): AlarmRunner | undefined {
    return this.runner;
  }

  /** CloudWatch's API for the gateway. */
  readonly handle: CloudWatchHandler = (operation, input) => cloudWatchApi(this.store, this.runner)(operation, input);

  /**
   * Runs the stacks' alarms; SNS actions publish through `sns` (the account's client). Returns
   * what is not run as CloudWatch would run it, one note each.
   */
  startAlarms(stacks: readonly StackDeployment[], sns: SNSClient): string[] {
    const notes: string[] = [];
    const defs: AlarmDefinition[] = [];
    for (const stack of stacks) {
      for (const alarm of stack.alarms) {
        try {
          defs.push(alarmDefinition(alarm));
        } catch (err) {
          notes.push(`${(err as Error).message}: the alarm is not run`);
        }
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

  /** Samples the queues' depth once a minute (scaled), as SQS publishes it. */
  sampleQueues(sqs: SQSClient, queues: readonly { name: string; url: string }[]): void {
    const sample = async () => {
      for (const q of queues) {
        const { Attributes: a = {} } = await sqs
          .send(
            new GetQueueAttributesCommand({
              QueueUrl: q.url,
              AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            }),
          )
          .catch(() => ({ Attributes: undefined }));
        if (a.ApproximateNumberOfMessages === undefined) continue;
        this.metrics.queue(q.name, {
          visible: Number(a.ApproximateNumberOfMessages),
          notVisible: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
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
