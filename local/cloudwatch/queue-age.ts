// SQS's ApproximateAgeOfOldestMessage, from what a queue holds. As SQS documents it
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html):
// the age of the oldest message not deleted (visible or in flight; a delayed one is not in the queue
// yet); in a standard queue a message received three times or more and still not deleted is moved to
// the back and left out (a poison pill), a FIFO queue never reorders; a message moved to a dead-letter
// queue is as old as its stay there; no data point while the queue holds no message.

/** A message not deleted, as the SQS emulator holds it. */
export interface QueuedMessage {
  readonly id: string;
  /** When it was sent (ms). */
  readonly sentAt: number;
  readonly receiveCount: number;
}

/** What a queue holds, read without receiving anything. */
export interface QueueContents {
  readonly fifo: boolean;
  readonly visible: readonly QueuedMessage[];
  readonly inFlight: readonly QueuedMessage[];
}

/** Received this often and still there: SQS moves it to the back of a standard queue and leaves it out. */
const POISON_RECEIVES = 3;

/**
 * Seconds since the oldest message counted arrived, or undefined when the queue holds none counted.
 * For a dead-letter queue pass its clock: a message counts from its arrival there, and every one
 * counts (it got there by being received too often; SQS gives a dead-letter queue the longest stay).
 */
export function oldestMessageAgeSeconds(
  contents: QueueContents,
  now: number,
  deadLetterClock?: ArrivalClock,
): number | undefined {
  const held = [...contents.visible, ...contents.inFlight];
  const arrivedAt = deadLetterClock?.observe(held, now) ?? ((m: QueuedMessage) => m.sentAt);
  const counted = contents.fifo || deadLetterClock ? held : held.filter((m) => m.receiveCount < POISON_RECEIVES);
  if (counted.length === 0) return undefined;
  const oldest = Math.min(...counted.map(arrivedAt));
  return Math.max(0, Math.floor((now - oldest) / 1000));
}

/**
 * When each message of a dead-letter queue arrived there: the first sample that saw it (at most one
 * sampling period late). The emulator keeps a moved message's send time, SQS counts from the move.
 */
export class ArrivalClock {
  private readonly seen = new Map<string, number>();

  /** Records this sample's messages (forgetting those gone) and answers each one's arrival. */
  observe(messages: readonly QueuedMessage[], now: number): (m: QueuedMessage) => number {
    const present = new Set(messages.map((m) => m.id));
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    for (const m of messages) if (!this.seen.has(m.id)) this.seen.set(m.id, now);
    return (m) => this.seen.get(m.id) ?? now;
  }
}
