import { api } from '../api';
import type { Action } from '../hooks/use-action';

/** Start or stop the gateway: the same button on every Connect page variant. */
export function GatewayButton({ running, action }: { running: boolean; action: Action }) {
  return running ? (
    <button
      type="button"
      className="btn"
      disabled={action.busy}
      onClick={() => action.run(() => api().stopGateway())}
    >
      Stop gateway
    </button>
  ) : (
    <button
      type="button"
      className="btn btn-primary"
      disabled={action.busy}
      onClick={() => action.run(() => api().startGateway())}
    >
      Start gateway
    </button>
  );
}
