import { useState } from 'react';
import type { DoctorReport, DoctorStep } from '../../../preload/contract';
import { api } from '../api';
import { ErrorBanner } from '../components/bits';
import { useAction } from '../hooks/use-action';

const WORD: Record<DoctorStep['level'], string> = {
  pass: 'pass',
  info: 'info',
  warning: 'warning',
  failure: 'failure',
};
const TONE: Record<DoctorStep['level'], string> = {
  pass: 'good',
  info: 'info',
  warning: 'warn',
  failure: 'bad',
};

/**
 * "Check as ChatGPT": runs the connection doctor through the public URL and shows each step.
 * `notPublic` says, while there is no public URL, what to do first in this page's own words.
 */
export function DoctorPanel({ isPublic, notPublic }: { isPublic: boolean; notPublic: string }) {
  const [report, setReport] = useState<DoctorReport | null>(null);
  const action = useAction();
  const check = () => action.run(async () => setReport(await api().runDoctor()));
  return (
    <div className="card" data-testid="doctor">
      <div className="card-head">
        <h2>Check as ChatGPT</h2>
        <button type="button" className="btn btn-primary" disabled={action.busy || !isPublic} onClick={check}>
          {action.busy ? 'Checking…' : 'Check as ChatGPT'}
        </button>
      </div>
      <p className="muted small">
        Replays, through the public URL, each step ChatGPT takes to connect and list your tools.
        {isPublic ? '' : ` ${notPublic}`}
      </p>
      <ErrorBanner message={action.error} onDismiss={action.clearError} />
      {report && (
        <>
          <p className="small" data-testid="doctor-summary">
            <span className={`pill tone-${TONE[report.level]}`}>
              {report.level === 'failure'
                ? `${report.steps.filter((s) => s.level === 'failure').length} failed`
                : report.level === 'warning'
                  ? 'passes, with warnings'
                  : 'all steps pass'}
            </span>{' '}
            <span className="mono">{report.target}</span>
          </p>
          <p className="muted small">{report.auth}</p>
          <ol className="doctor-steps">
            {report.steps.map((s) => (
              <li key={s.id} className="doctor-step" data-step={s.id} data-level={s.level}>
                <span className={`pill pill-small tone-${TONE[s.level]}`}>{WORD[s.level]}</span>
                <div>
                  <div>
                    <strong>{s.title}</strong>
                  </div>
                  <div className="small">{s.detail}</div>
                  {s.fix && (s.level === 'failure' || s.level === 'warning') && (
                    <div className="small fix">Fix: {s.fix}</div>
                  )}
                </div>
                <span className="time">{s.durationMs} ms</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
