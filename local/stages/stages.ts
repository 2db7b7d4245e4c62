// The local stack is started as a sequence of stages (stack.ts), each starting its own parts and
// registering how to stop each one. Stopping goes back through the stages in reverse, and through
// each stage's parts in reverse: what started last stops first. A stage that fails to start stops
// what it had started itself, then every stage before it, so a failed start leaves nothing running.

/** The parts of one stage, stopped in reverse order of their start. */
export class Parts {
  private readonly stops: (() => Promise<void> | void)[] = [];

  /** Registers how to stop a part just started. */
  add(stop: () => Promise<void> | void): void {
    this.stops.push(stop);
  }

  /** Stops every part, last first; a part that fails to stop does not keep the others running. */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch {
        // Stopping is best effort: the processes and sockets behind the next parts still go.
      }
    }
  }
}

export class Stages {
  private readonly started: { readonly name: string; readonly parts: Parts }[] = [];

  constructor(private readonly onStage?: (name: string, event: "started" | "stopped") => void) {}

  /**
   * Starts a stage: `start` starts its parts, registering each one's stop with `parts`. If it throws,
   * its own parts and then every stage started before it are stopped, and the error is thrown on.
   */
  async start<T>(name: string, start: (parts: Parts) => T | Promise<T>): Promise<T> {
    const parts = new Parts();
    try {
      const out = await start(parts);
      this.started.push({ name, parts });
      this.onStage?.(name, "started");
      return out;
    } catch (err) {
      await parts.stop();
      await this.stop();
      throw err;
    }
  }

  /** The stages started, in order. */
  get names(): readonly string[] {
    return this.started.map((s) => s.name);
  }

  /** Stops every stage started, the last first. */
  async stop(): Promise<void> {
    for (const { name, parts } of this.started.splice(0).reverse()) {
      await parts.stop();
      this.onStage?.(name, "stopped");
    }
  }
}
