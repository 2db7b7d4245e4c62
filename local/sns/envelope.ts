import { createHash, createSign } from "node:crypto";
import selfsigned from "selfsigned";

// What SNS sends a subscriber: the notification envelope (to a queue without raw delivery, and to
// HTTP endpoints) and the record of Lambda's SNS event, both signed as SNS signs them — version 1
// SHA1withRSA, version 2 SHA256withRSA, over the fields in SNS's order — with a key of the local
// stack's own whose certificate the endpoint serves at SigningCertURL, so that a receiver can verify
// a message as it verifies AWS's. Fields AWS leaves out when empty (Subject, MessageAttributes) are
// left out.
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html

/** A message attribute as SNS keeps it. */
export interface SnsAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** One published message, as every subscriber's delivery is made from it. */
export interface Notification {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject: string | undefined;
  /** The message each protocol gets (MessageStructure json: the protocol's own entry, else "default"). */
  readonly messageFor: (protocol: string) => string;
  readonly timestamp: string;
  readonly attributes: Readonly<Record<string, SnsAttribute>>;
  readonly sequenceNumber?: string;
  readonly signatureVersion: "1" | "2";
}

export interface Signer {
  /** Where the certificate is served: the endpoint's origin and this path. */
  readonly certificatePath: string;
  readonly certificate: string;
  sign(text: string, version: "1" | "2"): string;
}

/** A signing key and its certificate, made for one local stack. */
export async function snsSigner(): Promise<Signer> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "sns.amazonaws.com" }], {
    keySize: 2048,
    algorithm: "sha256",
  });
  const id = createHash("sha256").update(pems.cert).digest("hex").slice(0, 32);
  return {
    certificatePath: `/SimpleNotificationService-${id}.pem`,
    certificate: pems.cert,
    sign: (text, version) =>
      createSign(version === "2" ? "RSA-SHA256" : "RSA-SHA1")
        .update(text, "utf8")
        .sign(pems.private, "base64"),
  };
}

/** SNS's string to sign of a notification. */
function stringToSign(n: {
  Message: string;
  MessageId: string;
  Subject?: string;
  Timestamp: string;
  TopicArn: string;
}) {
  return [
    "Message",
    n.Message,
    "MessageId",
    n.MessageId,
    ...(n.Subject === undefined ? [] : ["Subject", n.Subject]),
    "Timestamp",
    n.Timestamp,
    "TopicArn",
    n.TopicArn,
    "Type",
    "Notification",
    "",
  ].join("\n");
}

/** Attributes as the envelope carries them: Type and Value. */
function envelopeAttributes(attributes: Readonly<Record<string, SnsAttribute>>) {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      { Type: a.DataType, Value: a.DataType.startsWith("Binary") ? a.BinaryValue : a.StringValue },
    ]),
  );
}

/**
 * The JSON envelope a queue (without raw delivery) or an HTTP endpoint gets. A FIFO topic's
 * messages are not signed: AWS sends them without SignatureVersion, Signature and SigningCertURL.
 */
export function envelope(
  n: Notification,
  protocol: string,
  subscriptionArn: string,
  origin: string,
  signer: Signer,
  fifo: boolean,
): string {
  const message = n.messageFor(protocol);
  const signed = {
    Message: message,
    MessageId: n.messageId,
    ...(n.subject === undefined ? {} : { Subject: n.subject }),
    Timestamp: n.timestamp,
    TopicArn: n.topicArn,
  };
  const hasAttributes = Object.keys(n.attributes).length > 0;
  return JSON.stringify({
    Type: "Notification",
    MessageId: n.messageId,
    ...(n.sequenceNumber === undefined ? {} : { SequenceNumber: n.sequenceNumber }),
    TopicArn: n.topicArn,
    ...(n.subject === undefined ? {} : { Subject: n.subject }),
    Message: message,
    Timestamp: n.timestamp,
    ...(fifo
      ? {}
      : {
          SignatureVersion: n.signatureVersion,
          Signature: signer.sign(stringToSign(signed), n.signatureVersion),
          SigningCertURL: `${origin}${signer.certificatePath}`,
        }),
    UnsubscribeURL: `${origin}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
    ...(hasAttributes ? { MessageAttributes: envelopeAttributes(n.attributes) } : {}),
  });
}

/** The record of Lambda's SNS event: a Subject of null and MessageAttributes even when empty, as Lambda sends them. */
export function lambdaRecord(n: Notification, subscriptionArn: string, origin: string, signer: Signer) {
  const message = n.messageFor("lambda");
  const signed = {
    Message: message,
    MessageId: n.messageId,
    ...(n.subject === undefined ? {} : { Subject: n.subject }),
    Timestamp: n.timestamp,
    TopicArn: n.topicArn,
  };
  return {
    EventSource: "aws:sns",
    EventVersion: "1.0",
    EventSubscriptionArn: subscriptionArn,
    Sns: {
      Type: "Notification",
      MessageId: n.messageId,
      TopicArn: n.topicArn,
      Subject: n.subject ?? null,
      Message: message,
      Timestamp: n.timestamp,
      SignatureVersion: n.signatureVersion,
      Signature: signer.sign(stringToSign(signed), n.signatureVersion),
      SigningCertUrl: `${origin}${signer.certificatePath}`,
      UnsubscribeUrl: `${origin}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
      MessageAttributes: envelopeAttributes(n.attributes),
    },
  };
}
