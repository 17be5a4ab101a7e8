import { useEffect, useState } from 'react';
import type { ActivityEvent } from '../../../preload/contract';
import { formatDuration, outcomeWords } from '../lib/format';

/** The outcome pill; a call in flight gets a spinner instead of the dot. */
export function Outcome({ outcome }: { outcome: ActivityEvent['outcome'] }) {
  return (
    <span className={`outcome outcome-${outcome}`} data-outcome={outcome}>
      {outcome === 'pending' && <span className="spinner spinner-small" aria-hidden="true" />}
      {outcomeWords(outcome)}
    </span>
  );
}

/** Time since `since`, ticking while shown (for calls in flight). */
function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(t);
  }, []);
  return <span data-testid="elapsed">{formatDuration(Math.max(0, now - since))}</span>;
}

/** The duration of a finished call, or the time so far of one in flight. */
export function Duration({ event }: { event: ActivityEvent }) {
  return event.outcome === 'pending' ? (
    <Elapsed since={event.time} />
  ) : (
    <>{formatDuration(event.durationMs)}</>
  );
}
