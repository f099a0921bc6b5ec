/**
 * Everything the benchmark starts registers how to undo it here, so exporters, temporary
 * directories and (in later parts) load generators are gone however the run ends: normally,
 * on an error, or on Ctrl-C.
 */
type Undo = () => void | Promise<void>;

export class Cleanup {
  private readonly stack: { label: string; undo: Undo }[] = [];
  private running: Promise<void> | undefined;

  /** Returns a function that runs (and forgets) just this step, for parts that stop things early. */
  add(label: string, undo: Undo): () => Promise<void> {
    const entry = { label, undo };
    this.stack.push(entry);
    return async () => {
      const i = this.stack.indexOf(entry);
      if (i < 0) return;
      this.stack.splice(i, 1);
      await entry.undo();
    };
  }

  /**
   * Undo in reverse order; one failing step does not keep the others from running. Calls made
   * while a run is under way (a Ctrl-C during cleanup) wait for that same run.
   */
  runAll(): Promise<void> {
    this.running ??= (async () => {
      while (this.stack.length > 0) {
        const { label, undo } = this.stack.pop()!;
        try {
          await undo();
        } catch (error) {
          process.stderr.write(`bench: cleanup "${label}" failed: ${(error as Error).message}\n`);
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
