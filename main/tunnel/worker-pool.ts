/**
 * A bounded worker pool for the OpenAI tunnel's commands: at most `size` run at once, the others
 * wait their turn in order (their deadlines keep running meanwhile).
 */
export class WorkerPool {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** Whether every slot is taken. */
  get full(): boolean {
    return this.active >= this.size;
  }

  /** Slots neither taken nor promised to a waiting command. */
  get free(): number {
    return this.size - this.active - this.queue.length;
  }

  /** A slot now, or a place in the queue until one frees up. */
  acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((res) =>
      this.queue.push(() => {
        this.active++;
        res();
      }),
    );
  }

  /** Gives a slot back; the longest-waiting command gets it. */
  release(): void {
    this.active--;
    this.queue.shift()?.();
  }
}
