import { expect, test } from "vitest";
import { ArrivalClock, oldestMessageAgeSeconds, type QueuedMessage } from "../../local/cloudwatch/queue-age.js";

// SQS's ApproximateAgeOfOldestMessage as its documentation defines it, from a queue's contents.

const NOW = 1_000_000_000;
const msg = (id: string, ageSeconds: number, receiveCount = 0): QueuedMessage => ({
  id,
  sentAt: NOW - ageSeconds * 1000,
  receiveCount,
});

test("the oldest message not deleted counts, visible or in flight; an empty queue has no data point", () => {
  expect(oldestMessageAgeSeconds({ fifo: false, visible: [msg("a", 30)], inFlight: [msg("b", 90, 1)] }, NOW)).toBe(90);
  expect(oldestMessageAgeSeconds({ fifo: false, visible: [msg("a", 12.7)], inFlight: [] }, NOW)).toBe(12);
  expect(oldestMessageAgeSeconds({ fifo: false, visible: [], inFlight: [] }, NOW)).toBeUndefined();
});

test("a standard queue leaves out a message received three times and still there; a FIFO queue does not", () => {
  const held = { visible: [msg("young", 10)], inFlight: [msg("poison", 600, 3), msg("retried", 60, 2)] };
  expect(oldestMessageAgeSeconds({ fifo: false, ...held }, NOW)).toBe(60);
  expect(oldestMessageAgeSeconds({ fifo: true, ...held }, NOW)).toBe(600);
  expect(oldestMessageAgeSeconds({ fifo: false, visible: [msg("p", 600, 4)], inFlight: [] }, NOW)).toBeUndefined();
});

test("in a dead-letter queue a message is as old as its stay there, counted from the first sample that saw it", () => {
  const clock = new ArrivalClock();
  // Sent an hour ago, received six times, moved to the dead-letter queue just before this sample.
  const moved = msg("moved", 3600, 6);
  const contents = { fifo: false, visible: [moved], inFlight: [] };
  expect(oldestMessageAgeSeconds(contents, NOW, clock)).toBe(0);
  expect(oldestMessageAgeSeconds(contents, NOW + 45_000, clock)).toBe(45);
  // Gone (redriven or deleted), then back: a new stay.
  expect(oldestMessageAgeSeconds({ ...contents, visible: [] }, NOW + 60_000, clock)).toBeUndefined();
  expect(oldestMessageAgeSeconds(contents, NOW + 90_000, clock)).toBe(0);
});
