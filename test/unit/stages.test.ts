import { expect, test } from "vitest";
import { Stages } from "../../local/stages/stages.js";

// The local stack's stages: stopped last-first, and a failed start leaves nothing of the stages
// before it (nor of its own parts) running.

test("stages stop in reverse, each stage's parts in reverse", async () => {
  const log: string[] = [];
  const stages = new Stages();
  await stages.start("a", (parts) => {
    parts.add(() => void log.push("a1"));
    parts.add(() => void log.push("a2"));
  });
  await stages.start("b", (parts) => parts.add(() => void log.push("b1")));
  expect(stages.names).toEqual(["a", "b"]);
  await stages.stop();
  expect(log).toEqual(["b1", "a2", "a1"]);
  await stages.stop();
  expect(log).toHaveLength(3);
});

test("a stage that fails to start stops what it started and every stage before it, and its error is thrown on", async () => {
  const log: string[] = [];
  const stages = new Stages();
  await stages.start("a", (parts) => parts.add(() => void log.push("a")));
  await stages.start("b", (parts) =>
    parts.add(() => {
      log.push("b");
      throw new Error("b does not stop cleanly");
    }),
  );
  const failing = stages.start("c", async (parts) => {
    parts.add(() => void log.push("c1"));
    throw new Error("c cannot start");
  });
  await expect(failing).rejects.toThrow("c cannot start");
  // A part that fails to stop does not keep the ones before it running.
  expect(log).toEqual(["c1", "b", "a"]);
  expect(stages.names).toEqual([]);
});
