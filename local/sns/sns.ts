import { createHash, randomUUID } from "node:crypto";
import { matches, type Pattern } from "../event-patterns.js";
import { envelope, lambdaRecord, type Notification, type Signer, type SnsAttribute } from "./envelope.js";
import { answer, entries, members, SnsError, subEntries } from "./query.js";

// SNS, answered by the local stack itself: topics (standard and FIFO, with the five-minute
// deduplication window of a FIFO topic), subscriptions of queues and functions with their filter
// policies (on attributes or on the body), raw delivery, redrive policies, MessageStructure json,
// Publish and PublishBatch with their validation as AWS words it, and each delivery made as SNS
// makes it — the envelope signed, the fields AWS leaves out left out. What receives a delivery (a
// queue, a function) and whether the account lets SNS deliver there is the caller's business
// (`Deliveries`); a delivery refused or failed is counted, never made another way.
// https://docs.aws.amazon.com/sns/latest/api/API_Operations.html

const ACCOUNT_OWNER = "000000000000";
/** SNS's limit on a message with its attributes. */
const MAX_MESSAGE_BYTES = 262_144;
/** How long a FIFO topic remembers a deduplication id. */
const DEDUP_WINDOW_MS = 5 * 60_000;
const PROTOCOLS = new Set(["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"]);

export interface Topic {
  readonly arn: string;
  readonly name: string;
  readonly fifo: boolean;
  readonly attributes: Record<string, string>;
  readonly tags: Map<string, string>;
  /** FIFO: deduplication id → (message id, sequence number, until when). */
  readonly dedup: Map<string, { messageId: string; sequenceNumber: string; until: number }>;
  sequence: bigint;
}

export interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly attributes: Record<string, string>;
}

/** A message for a queue, as SNS sends it. */
export interface QueueDelivery {
  readonly body: string;
  readonly attributes: Readonly<Record<string, SnsAttribute>>;
  readonly groupId?: string;
  readonly deduplicationId?: string;
}

/** Where deliveries go: the local stack's queues and functions (and whether the account allows them). */
export interface Deliveries {
  /** Sends to a queue by its ARN; throws when it cannot (no such queue, refused by its policy or key). */
  toQueue(queueArn: string, message: QueueDelivery, from: { topicArn: string }): Promise<void>;
  /** Invokes a function asynchronously with SNS's event; throws when it cannot be invoked. */
  toFunction(functionArn: string, event: unknown, from: { topicArn: string; subscriptionArn: string }): Promise<void>;
  /** A metric of AWS/SNS for a topic. */
  metric(name: string, topicName: string, value: number): void;
  /** A delivery that was not made, and why. */
  failed?(subscription: Subscription, reason: string): void;
}

export interface SnsOptions {
  readonly region: string;
  readonly account: string;
  readonly signer: Signer;
  /** The endpoint's origin, for the envelope's URLs. */
  readonly origin: () => string;
  readonly deliveries: Deliveries;
}

export class LocalSns {
  readonly topics = new Map<string, Topic>();
  readonly subscriptions = new Map<string, Subscription>();
  /** Deliveries under way (a FIFO topic's in order within each message group). */
  private readonly pending = new Set<Promise<void>>();
  private readonly fifoChains = new Map<string, Promise<void>>();

  constructor(private readonly options: SnsOptions) {}

  /** Answers an operation of SNS's query API with its XML; throws SnsError as SNS answers errors. */
  async handle(operation: string, form: URLSearchParams, caller: string): Promise<string> {
    const op = OPERATIONS[operation];
    if (!op) throw new SnsError("InvalidAction", `SNS ${operation} is not answered by the local stack`);
    return answer(operation, await op.call(this, form, caller));
  }

  /** Resolves once every delivery published so far has been made (or has failed). */
  async delivered(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ——— topics ———

  createTopic(name: string, attributes: Record<string, string>, tags: Record<string, string> = {}): Topic {
    const fifo = attributes.FifoTopic === "true";
    const valid = /^[A-Za-z0-9_-]{1,256}$/.test(fifo ? name.replace(/\.fifo$/, "") : name);
    if (!valid || name.length > 256 || (fifo && !name.endsWith(".fifo")) || (!fifo && name.includes(".fifo"))) {
      throw new SnsError("InvalidParameter", "Invalid parameter: Topic Name");
    }
    const arn = `arn:aws:sns:${this.options.region}:${this.options.account}:${name}`;
    const known = this.topics.get(arn);
    if (known) return known;
    // FifoTopic "false" is a standard topic's default, and not listed.
    const { FifoTopic: _, ...given } = attributes;
    const topic: Topic = {
      arn,
      name,
      fifo,
      attributes: { DisplayName: "", ...given, ...(fifo ? { FifoTopic: "true" } : {}) },
      tags: new Map(Object.entries(tags)),
      dedup: new Map(),
      sequence: 10_000_000_000_000_000_000n,
    };
    this.topics.set(arn, topic);
    return topic;
  }

  /** A topic by its ARN, or SNS's error for a malformed or unknown one. */
  topic(arn: string | null | undefined, parameter = "TopicArn"): Topic {
    const elements = (arn ?? "").split(":").length;
    if (elements < 6) {
      throw new SnsError(
        "InvalidParameter",
        `Invalid parameter: ${parameter} Reason: An ARN must have at least 6 elements, not ${elements}`,
      );
    }
    const topic = this.topics.get(arn ?? "");
    if (!topic) throw new SnsError("NotFound", "Topic does not exist", 404);
    return topic;
  }

  topicAttributes(topic: Topic): Map<string, string> {
    const subs = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn);
    const out = new Map<string, string>(Object.entries(topic.attributes));
    out.set("TopicArn", topic.arn);
    out.set("Owner", this.options.account);
    out.set("SubscriptionsConfirmed", String(subs.length));
    out.set("SubscriptionsPending", "0");
    out.set("SubscriptionsDeleted", "0");
    if (!out.has("Policy")) out.set("Policy", JSON.stringify(defaultPolicy(topic.arn, this.options.account)));
    out.set("EffectiveDeliveryPolicy", JSON.stringify(EFFECTIVE_DELIVERY_POLICY));
    if (topic.fifo && !out.has("ContentBasedDeduplication")) out.set("ContentBasedDeduplication", "false");
    return out;
  }

  // ——— subscriptions ———

  subscribe(topicArn: string, protocol: string, endpoint: string, attributes: Record<string, string>): Subscription {
    const topic = this.topic(topicArn);
    if (!PROTOCOLS.has(protocol)) {
      throw new SnsError(
        "InvalidParameter",
        `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`,
      );
    }
    if (protocol === "sqs" && endpoint.endsWith(".fifo") && !topic.fifo) {
      throw new SnsError(
        "InvalidParameter",
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
      );
    }
    checkSubscriptionAttributes(attributes, topic);
    const { RawMessageDelivery = "false", ...rest } = attributes;
    // An empty filter policy is none, and a scope without a policy is not listed.
    if (rest.FilterPolicy === "") {
      delete rest.FilterPolicy;
      delete rest.FilterPolicyScope;
    }
    const same = [...this.subscriptions.values()].find(
      (s) => s.topicArn === topic.arn && s.protocol === protocol && s.endpoint === endpoint,
    );
    if (same) return same;
    const subscription: Subscription = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      attributes: { RawMessageDelivery: RawMessageDelivery.toLowerCase(), ...rest },
    };
    this.subscriptions.set(subscription.arn, subscription);
    return subscription;
  }

  subscription(arn: string | null): Subscription {
    const found = this.subscriptions.get(arn ?? "");
    if (!found) throw new SnsError("NotFound", "Subscription does not exist", 404);
    return found;
  }

  subscriptionAttributes(s: Subscription, caller: string): Map<string, string> {
    return new Map([
      ["ConfirmationWasAuthenticated", "true"],
      ["Endpoint", s.endpoint],
      ["Owner", this.options.account],
      ["PendingConfirmation", "false"],
      ["Protocol", s.protocol],
      ["SubscriptionArn", s.arn],
      ["SubscriptionPrincipal", caller],
      ["TopicArn", s.topicArn],
      ...Object.entries(s.attributes),
    ]);
  }

  // ——— publishing ———

  /** Validates and accepts one message; its deliveries are made afterwards, as SNS makes them. */
  publish(input: PublishInput): { MessageId: string; SequenceNumber?: string } {
    return this.accept(this.prepare(input));
  }

  /** A message as SNS validates it before accepting anything (a batch is refused whole). */
  prepare(input: PublishInput): Prepared {
    const topic = this.topic(input.topicArn, input.byTargetArn ? "TargetArn" : "TopicArn");
    const message = input.message;
    if (message === undefined || message === "")
      throw new SnsError("InvalidParameter", "Invalid parameter: Empty message");
    if (input.subject !== undefined && input.subject.trim() === "") {
      throw new SnsError("InvalidParameter", "Invalid parameter: Subject");
    }
    const attributesSize = Object.entries(input.attributes).reduce(
      (n, [k, a]) =>
        n +
        Buffer.byteLength(k) +
        Buffer.byteLength(a.DataType) +
        Buffer.byteLength(a.StringValue ?? a.BinaryValue ?? ""),
      0,
    );
    if (Buffer.byteLength(message) + attributesSize > MAX_MESSAGE_BYTES) {
      throw new SnsError("InvalidParameter", "Invalid parameter: Message too long");
    }
    const messageFor = messageStructure(message, input.messageStructure);
    let deduplicationId = input.deduplicationId;
    if (topic.fifo) {
      if (!input.groupId) {
        throw new SnsError(
          "InvalidParameter",
          "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
        );
      }
      if (!deduplicationId) {
        if (topic.attributes.ContentBasedDeduplication !== "true") {
          throw new SnsError(
            "InvalidParameter",
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
          );
        }
        deduplicationId = createHash("sha256").update(message).digest("hex");
      }
    } else if (deduplicationId !== undefined) {
      throw new SnsError(
        "InvalidParameter",
        "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
      );
    }
    return { topic, input, message, messageFor, deduplicationId };
  }

  /** Accepts a prepared message: within a FIFO topic's window a duplicate is accepted and not delivered again. */
  accept(p: Prepared): { MessageId: string; SequenceNumber?: string } {
    const { topic, input, deduplicationId } = p;
    const now = Date.now();
    if (topic.fifo && deduplicationId !== undefined) {
      for (const [id, d] of topic.dedup) if (d.until < now) topic.dedup.delete(id);
      const seen = topic.dedup.get(deduplicationId);
      if (seen) return { MessageId: seen.messageId, SequenceNumber: seen.sequenceNumber };
    }
    const messageId = randomUUID();
    const sequenceNumber = topic.fifo ? String(++topic.sequence) : undefined;
    if (topic.fifo && deduplicationId !== undefined && sequenceNumber !== undefined) {
      topic.dedup.set(deduplicationId, { messageId, sequenceNumber, until: now + DEDUP_WINDOW_MS });
    }
    const notification: Notification = {
      messageId,
      topicArn: topic.arn,
      subject: input.subject,
      messageFor: p.messageFor,
      timestamp: new Date(now).toISOString(),
      attributes: input.attributes,
      ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
      signatureVersion: topic.attributes.SignatureVersion === "2" ? "2" : "1",
    };
    this.options.deliveries.metric("NumberOfMessagesPublished", topic.name, 1);
    this.options.deliveries.metric("PublishSize", topic.name, Buffer.byteLength(p.message));
    this.fanOut(topic, notification, input.groupId, deduplicationId);
    return { MessageId: messageId, ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }) };
  }

  private fanOut(
    topic: Topic,
    n: Notification,
    groupId: string | undefined,
    deduplicationId: string | undefined,
  ): void {
    const deliver = async () => {
      const subscriptions = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn);
      await Promise.all(subscriptions.map((s) => this.deliver(topic, s, n, groupId, deduplicationId)));
    };
    // A FIFO topic delivers in order within a message group: each message after the one before it
    // in its group, the groups side by side (as SNS FIFO does; one chain for the whole topic held a
    // 500-alert-a-second stream to one SendMessage at a time: 27 s behind after 20 s).
    const chain = `${topic.arn}\u0000${groupId ?? ""}`;
    const done = topic.fifo ? (this.fifoChains.get(chain) ?? Promise.resolve()).then(deliver) : deliver();
    if (topic.fifo) {
      const settled = done.catch(() => undefined);
      this.fifoChains.set(chain, settled);
      // The group's chain goes once its last delivery is made: groups come and go (a zone, a card).
      void settled.then(() => {
        if (this.fifoChains.get(chain) === settled) this.fifoChains.delete(chain);
      });
    }
    const tracked = done.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async deliver(
    topic: Topic,
    s: Subscription,
    n: Notification,
    groupId: string | undefined,
    deduplicationId: string | undefined,
  ): Promise<void> {
    const { deliveries } = this.options;
    if (!passesFilterPolicy(s, n)) {
      deliveries.metric("NumberOfNotificationsFilteredOut", topic.name, 1);
      return;
    }
    const origin = this.options.origin();
    try {
      if (s.protocol === "sqs") {
        const raw = s.attributes.RawMessageDelivery === "true";
        const body = raw ? n.messageFor("sqs") : envelope(n, "sqs", s.arn, origin, this.options.signer, topic.fifo);
        const toFifoQueue = s.endpoint.endsWith(".fifo");
        await deliveries.toQueue(
          s.endpoint,
          {
            body,
            attributes: raw ? n.attributes : {},
            ...(toFifoQueue && groupId !== undefined ? { groupId } : {}),
            ...(toFifoQueue && deduplicationId !== undefined ? { deduplicationId } : {}),
          },
          { topicArn: topic.arn },
        );
      } else if (s.protocol === "lambda") {
        const event = { Records: [lambdaRecord(n, s.arn, origin, this.options.signer)] };
        await deliveries.toFunction(s.endpoint, event, { topicArn: topic.arn, subscriptionArn: s.arn });
      } else {
        throw new Error(`the local stack delivers to sqs and lambda subscriptions, not ${s.protocol}`);
      }
      deliveries.metric("NumberOfNotificationsDelivered", topic.name, 1);
    } catch (err) {
      deliveries.metric("NumberOfNotificationsFailed", topic.name, 1);
      deliveries.failed?.(s, err instanceof Error ? err.message : String(err));
    }
  }
}

/** A message validated, not yet accepted. */
export interface Prepared {
  readonly topic: Topic;
  readonly input: PublishInput;
  readonly message: string;
  readonly messageFor: (protocol: string) => string;
  readonly deduplicationId: string | undefined;
}

export interface PublishInput {
  readonly topicArn: string | undefined;
  readonly byTargetArn?: boolean;
  readonly message: string | undefined;
  readonly subject: string | undefined;
  readonly messageStructure: string | undefined;
  readonly attributes: Record<string, SnsAttribute>;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
}

/** MessageStructure json: each protocol's entry of the JSON message, "default" for the rest. */
function messageStructure(message: string, structure: string | undefined): (protocol: string) => string {
  if (structure !== "json") return () => message;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new SnsError("InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse");
  }
  const entries = parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  if (typeof entries.default !== "string") {
    throw new SnsError(
      "InvalidParameter",
      "Invalid parameter: Message Structure - No default entry in JSON message body",
    );
  }
  return (protocol) => {
    const own = entries[protocol];
    return typeof own === "string" ? own : (entries.default as string);
  };
}

/** A subscription's filter policy against a message: on its attributes (the default) or its body. */
function passesFilterPolicy(s: Subscription, n: Notification): boolean {
  const policy = s.attributes.FilterPolicy;
  if (policy === undefined || policy === "") return true;
  const pattern = JSON.parse(policy) as Pattern;
  if (s.attributes.FilterPolicyScope === "MessageBody") {
    try {
      return matches(pattern, JSON.parse(n.messageFor(s.protocol)));
    } catch {
      return false;
    }
  }
  const view: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(n.attributes)) {
    if (a.DataType === "Number") view[name] = Number(a.StringValue);
    else if (a.DataType === "String.Array") {
      try {
        view[name] = JSON.parse(a.StringValue ?? "[]");
      } catch {
        view[name] = a.StringValue;
      }
    } else if (a.DataType.startsWith("String")) view[name] = a.StringValue;
  }
  return matches(pattern, view);
}

const ATTRIBUTE_NAMES = new Set([
  "RawMessageDelivery",
  "FilterPolicy",
  "FilterPolicyScope",
  "RedrivePolicy",
  "DeliveryPolicy",
  "SubscriptionRoleArn",
  "ReplayPolicy",
]);

function checkSubscriptionAttributes(attributes: Record<string, string>, topic: Topic): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (!ATTRIBUTE_NAMES.has(name)) throw new SnsError("InvalidParameter", "Invalid parameter: AttributeName");
    if (name === "RawMessageDelivery" && value.toLowerCase() !== "true" && value.toLowerCase() !== "false") {
      throw new SnsError(
        "InvalidParameter",
        `Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [${value}]. Must be true or false.`,
      );
    }
    if (name === "FilterPolicy" && value !== "") {
      try {
        JSON.parse(value);
      } catch {
        throw new SnsError("InvalidParameter", "Invalid parameter: FilterPolicy: failed to parse JSON.");
      }
    }
    if (name === "RedrivePolicy") {
      let target: string | undefined;
      try {
        target = (JSON.parse(value) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
      } catch {
        throw new SnsError("InvalidParameter", "Invalid parameter: RedrivePolicy: failed to parse JSON.");
      }
      if (topic.fifo && target !== undefined && !target.endsWith(".fifo")) {
        throw new SnsError(
          "InvalidParameter",
          "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.",
        );
      }
    }
  }
}

const EFFECTIVE_DELIVERY_POLICY = {
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: "linear",
    },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: "text/plain; charset=UTF-8" },
  },
};

/** The policy SNS gives a topic created without one. */
export function defaultPolicy(topicArn: string, account: string) {
  return {
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ],
        Resource: topicArn,
        Condition: { StringEquals: { "AWS:SourceOwner": account } },
      },
    ],
  };
}

// ——— the API's operations, read off the query form ———

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;

/** Message attributes of a form (or a batch entry's), validated as SNS validates them. */
function messageAttributes(form: URLSearchParams, where = "messageAttributes"): Record<string, SnsAttribute> {
  const out: Record<string, SnsAttribute> = {};
  for (const entry of members(form, "MessageAttributes.entry")) {
    const name = entry.get("Name") ?? "";
    const type = entry.get("Value.DataType");
    const string = entry.get("Value.StringValue");
    const binary = entry.get("Value.BinaryValue");
    if (Buffer.byteLength(name) >= 256) {
      throw new SnsError("ParameterValueInvalid", "Length of message attribute name must be less than 256 bytes.");
    }
    if (name.startsWith(".")) {
      throw new SnsError(
        "ParameterValueInvalid",
        "Invalid message attribute name starting with character '.' was found.",
      );
    }
    if (name.endsWith(".")) {
      throw new SnsError(
        "ParameterValueInvalid",
        "Invalid message attribute name ending with character '.' was found.",
      );
    }
    if (name.includes("..")) {
      throw new SnsError("ParameterValueInvalid", "Message attribute name can not have successive '.' character.");
    }
    const bad = [...name].find((c) => !ATTRIBUTE_NAME.test(c));
    if (bad !== undefined) {
      const code = bad.codePointAt(0)?.toString(16).toUpperCase() ?? "";
      throw new SnsError(
        "ParameterValueInvalid",
        `Invalid non-alphanumeric character '#x${code}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.`,
      );
    }
    if (type === undefined) {
      throw new SnsError(
        "ValidationError",
        `1 validation error detected: Value null at '${where}.${name}.member.dataType' failed to satisfy constraint: Member must not be null`,
      );
    }
    // A custom type is the base type, a dot and a label: "String." has none.
    const [base, ...label] = type.split(".");
    if ((base !== "String" && base !== "Number" && base !== "Binary") || (label.length > 0 && label.join(".") === "")) {
      throw new SnsError(
        "ParameterValueInvalid",
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const field = base === "Binary" ? "Binary" : "String";
    if (
      (field === "String" && binary !== undefined && string === undefined) ||
      (field === "Binary" && string !== undefined && binary === undefined)
    ) {
      throw new SnsError(
        "ParameterValueInvalid",
        `The message attribute '${name}' with type '${base}' must use field '${field}'.`,
      );
    }
    const value = field === "Binary" ? binary : string;
    if (value === undefined || value === "") {
      throw new SnsError(
        "ParameterValueInvalid",
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base}'.`,
      );
    }
    if (base === "Number" && !Number.isFinite(Number(value))) {
      throw new SnsError("ParameterValueInvalid", `Could not cast message attribute '${name}' value to number.`);
    }
    out[name] = field === "Binary" ? { DataType: type, BinaryValue: value } : { DataType: type, StringValue: value };
  }
  return out;
}

type Operation = (this: LocalSns, form: URLSearchParams, caller: string) => unknown;

const get = (form: URLSearchParams, name: string) => form.get(name) ?? undefined;

const OPERATIONS: Record<string, Operation> = {
  CreateTopic(form) {
    const tags = Object.fromEntries(
      members(form, "Tags.member").map((m) => [m.get("Key") ?? "", m.get("Value") ?? ""]),
    );
    return { TopicArn: this.createTopic(form.get("Name") ?? "", entries(form, "Attributes"), tags).arn };
  },
  DeleteTopic(form) {
    const arn = form.get("TopicArn") ?? "";
    this.topics.delete(arn);
    for (const [key, s] of this.subscriptions) if (s.topicArn === arn) this.subscriptions.delete(key);
    return undefined;
  },
  GetTopicAttributes(form) {
    return {
      Attributes: (this as unknown as { topicAttributes(t: Topic): Map<string, string> }).topicAttributes(
        this.topic(form.get("TopicArn")),
      ),
    };
  },
  SetTopicAttributes(form) {
    const topic = this.topic(form.get("TopicArn"));
    const name = form.get("AttributeName") ?? "";
    if (name === "FifoTopic") throw new SnsError("InvalidParameter", "Invalid parameter: AttributeName");
    topic.attributes[name] = form.get("AttributeValue") ?? "";
    return undefined;
  },
  ListTopics() {
    return { Topics: [...this.topics.values()].map((t) => ({ TopicArn: t.arn })) };
  },
  Subscribe(form) {
    const s = this.subscribe(
      form.get("TopicArn") ?? "",
      form.get("Protocol") ?? "",
      form.get("Endpoint") ?? "",
      entries(form, "Attributes"),
    );
    return { SubscriptionArn: s.arn };
  },
  Unsubscribe(form) {
    this.subscriptions.delete(form.get("SubscriptionArn") ?? "");
    return undefined;
  },
  ConfirmSubscription(form) {
    this.topic(form.get("TopicArn"));
    throw new SnsError("InvalidParameter", "Invalid token");
  },
  ListSubscriptions() {
    return { Subscriptions: [...this.subscriptions.values()].map(listed) };
  },
  ListSubscriptionsByTopic(form) {
    const topic = this.topic(form.get("TopicArn"));
    return { Subscriptions: [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn).map(listed) };
  },
  GetSubscriptionAttributes(form, caller) {
    return { Attributes: this.subscriptionAttributes(this.subscription(form.get("SubscriptionArn")), caller) };
  },
  SetSubscriptionAttributes(form) {
    const s = this.subscription(form.get("SubscriptionArn"));
    const name = form.get("AttributeName") ?? "";
    const value = form.get("AttributeValue") ?? "";
    const topic = this.topics.get(s.topicArn);
    if (topic) checkSubscriptionAttributes({ [name]: value }, topic);
    s.attributes[name] = value;
    return undefined;
  },
  Publish(form) {
    const targetArn = get(form, "TargetArn");
    return this.publish({
      topicArn: get(form, "TopicArn") ?? targetArn ?? get(form, "PhoneNumber"),
      byTargetArn: get(form, "TopicArn") === undefined && targetArn !== undefined,
      message: get(form, "Message"),
      subject: get(form, "Subject"),
      messageStructure: get(form, "MessageStructure"),
      attributes: messageAttributes(form),
      groupId: get(form, "MessageGroupId"),
      deduplicationId: get(form, "MessageDeduplicationId"),
    });
  },
  PublishBatch(form) {
    const topicArn = form.get("TopicArn") ?? "";
    this.topic(form.get("TopicArn"));
    const list = members(form, "PublishBatchRequestEntries.member");
    if (list.length > 10) {
      throw new SnsError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.");
    }
    if (new Set(list.map((m) => m.get("Id"))).size !== list.length) {
      throw new SnsError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.");
    }
    // The whole batch is refused for an entry SNS would refuse, as it validates the request first.
    const inputs = list.map((m, i) => {
      const entryForm = subEntries(m, "MessageAttributes");
      return {
        id: m.get("Id") ?? "",
        input: {
          topicArn,
          message: m.get("Message"),
          subject: m.get("Subject"),
          messageStructure: m.get("MessageStructure"),
          attributes: messageAttributes(entryForm, `publishBatchRequestEntries.${i + 1}.member.messageAttributes`),
          groupId: m.get("MessageGroupId"),
          deduplicationId: m.get("MessageDeduplicationId"),
        } satisfies PublishInput,
      };
    });
    const prepared = inputs.map(({ id, input }) => ({ id, message: this.prepare(input) }));
    const Successful = prepared.map(({ id, message }) => ({ Id: id, ...this.accept(message) }));
    return { Successful, Failed: [] };
  },
  TagResource(form) {
    const topic = this.topics.get(form.get("ResourceArn") ?? "");
    if (!topic) throw new SnsError("ResourceNotFound", "Resource does not exist");
    for (const m of members(form, "Tags.member")) topic.tags.set(m.get("Key") ?? "", m.get("Value") ?? "");
    return {};
  },
  UntagResource(form) {
    const topic = this.topics.get(form.get("ResourceArn") ?? "");
    if (!topic) throw new SnsError("ResourceNotFound", "Resource does not exist");
    for (const m of members(form, "TagKeys.member")) topic.tags.delete(m.get("") ?? "");
    return {};
  },
  ListTagsForResource(form) {
    const topic = this.topics.get(form.get("ResourceArn") ?? "");
    if (!topic) throw new SnsError("ResourceNotFound", "Resource does not exist");
    return { Tags: [...topic.tags].map(([Key, Value]) => ({ Key, Value })) };
  },
};

const listed = (s: Subscription) => ({
  SubscriptionArn: s.arn,
  Owner: ACCOUNT_OWNER,
  Protocol: s.protocol,
  Endpoint: s.endpoint,
  TopicArn: s.topicArn,
});
