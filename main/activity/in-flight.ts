import { CallSet } from '../common/call-tables.js';
import type { Clock } from '../common/clock.js';
import type { EventInput, Progress } from './scrub-event.js';
import type { ActivityCall, ActivityEvent } from './types.js';

/** A call as begin() is told of it: no id, no outcome yet. */
export type Begun = Omit<ActivityEvent, 'id' | 'outcome'>;

/** What calls in flight need of the log (activity-log.ts). */
export interface FlightLog {
  /** Holds and publishes a call still running, as `pending`; its event as held. */
  show(input: Begun, progress: Progress | undefined): ActivityEvent | undefined;
  /** Holds and publishes a shown call again (its progress changed). */
  update(event: ActivityEvent): void;
  /** Records a finished call: under its shown event's id (its request kept from it), else as new. */
  finish(
    final: EventInput,
    input: Begun,
    shown: ActivityEvent | undefined,
    progress: Progress | undefined,
  ): void;
  /** A progress message with the secrets out, cut to its cap. */
  progressText(text: string): string;
  fail(err: unknown): void;
}

export interface InFlightOptions {
  /** A call is shown in flight (`pending`) once it has run this long. */
  delayMs: number;
  /** A shown call's progress is published at most this often; the last always. */
  progressEveryMs: number;
  clock: () => number;
  /** The ticker's and the progress bound's timers (unref'd in production: systemClock). */
  timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/** The calls in flight: noted by begin(), shown by one shared ticker once they have run a while. */
export interface InFlight {
  begin(input: Begun): ActivityCall;
  /** Stops the ticker and the progress timers; calls still running are recorded when they end. */
  close(): void;
}

/**
 * One call in flight. Until it is shown it is only these fields and a place in `waiting`: begin()
 * redacts, serialises and publishes nothing (issue 16: that was most of the log's cost per call, on
 * every call, and the window cannot show a call of a few milliseconds as running anyway).
 */
class Flight implements ActivityCall {
  /** The held `pending` event, once shown (with the last progress). */
  shown: ActivityEvent | undefined = undefined;
  /** The last progress, clean; shown with the call, or recorded with it when it ends. */
  latest: Progress | undefined = undefined;
  lastSent = 0;
  timer: unknown = undefined;
  ended = false;

  constructor(
    readonly calls: Calls,
    readonly input: Begun,
    readonly started: number,
  ) {}

  show(): void {
    if (!this.ended) this.shown = this.calls.log.show(this.input, this.latest);
  }

  progress(p: Progress): void {
    if (this.ended) return;
    const { log, options } = this.calls;
    try {
      const latest =
        p.message === undefined ? { ...p } : { ...p, message: log.progressText(String(p.message)) };
      this.latest = latest;
      if (this.shown === undefined) return;
      this.shown = { ...this.shown, progress: latest };
      // Bounded: a tool reporting progress thousands of times a second costs a few events.
      const wait = this.lastSent + options.progressEveryMs - options.clock();
      if (wait <= 0) this.send();
      else if (this.timer === undefined) {
        this.timer = options.timers.setTimeout(() => this.send(), wait);
        this.calls.throttled.add(this);
      }
    } catch (err) {
      log.fail(err);
    }
  }

  send(): void {
    this.timer = undefined;
    this.calls.throttled.delete(this);
    if (this.ended || this.shown === undefined) return;
    this.lastSent = this.calls.options.clock();
    this.calls.log.update(this.shown);
  }

  end(final: EventInput): void {
    if (this.ended) return;
    this.ended = true;
    const calls = this.calls;
    if (this.timer !== undefined) {
      calls.options.timers.clearTimeout(this.timer);
      calls.throttled.delete(this);
      this.timer = undefined;
    }
    calls.waiting.delete(this);
    calls.log.finish(final, this.input, this.shown, this.latest);
  }
}

class Calls implements InFlight {
  /**
   * Calls not shown yet, in the order they began (so, oldest first). CallSets, not Sets: a call must
   * not outlive its entry (call-tables.ts).
   */
  readonly waiting = new CallSet<Flight>();
  /** Shown calls whose progress waits for its interval. */
  readonly throttled = new CallSet<Flight>();
  private ticker: unknown = undefined;
  private closed = false;
  /** A call is shown between delayMs and 1.5 × delayMs after it began. */
  private readonly period: number;

  constructor(
    readonly log: FlightLog,
    readonly options: InFlightOptions,
  ) {
    this.period = Math.max(1, options.delayMs / 2);
  }

  begin(input: Begun): ActivityCall {
    const flight = new Flight(this, input, this.options.clock());
    this.waiting.add(flight);
    // One timer for every call in flight, armed while there are any: none per call.
    if (this.ticker === undefined && !this.closed)
      this.ticker = this.options.timers.setTimeout(this.tick, this.period);
    return flight;
  }

  private readonly tick = (): void => {
    this.ticker = undefined;
    const now = this.options.clock();
    for (let flight = this.waiting.first(); flight !== undefined; flight = this.waiting.first()) {
      if (now - flight.started < this.options.delayMs) break;
      this.waiting.delete(flight);
      flight.show();
    }
    if (this.waiting.size > 0 && !this.closed)
      this.ticker = this.options.timers.setTimeout(this.tick, this.period);
  };

  close(): void {
    this.closed = true;
    if (this.ticker !== undefined) this.options.timers.clearTimeout(this.ticker);
    this.ticker = undefined;
    for (const flight of this.throttled.keys()) {
      this.options.timers.clearTimeout(flight.timer);
      flight.timer = undefined;
    }
    this.throttled.clear();
  }
}

export function createInFlight(log: FlightLog, options: InFlightOptions): InFlight {
  return new Calls(log, options);
}
