/**
 * The OpenAI tunnel's commands in flight: at most `size` run at once, the others wait their turn in
 * order (their deadlines keep running meanwhile). The poll loop asks for no more than the free slots
 * (backpressure) and stop() waits for every command to end.
 */
export class CommandQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(readonly size: number) {}

  /** Whether every slot is taken. */
  get full(): boolean {
    return this.active >= this.size;
  }

  /** Slots neither taken nor promised to a waiting command. */
  get free(): number {
    return this.size - this.active - this.waiting.length;
  }

  /** Runs `job` in a slot, now or once one frees up. */
  run(job: () => Promise<void>): void {
    const p = (async () => {
      await this.acquire();
      try {
        await job();
      } finally {
        this.release();
      }
    })();
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Settles when any command in flight does. */
  oneDone(): Promise<void> {
    return Promise.race(this.running);
  }

  /** Settles once every command in flight has. */
  async allDone(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((res) =>
      this.waiting.push(() => {
        this.active++;
        res();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
