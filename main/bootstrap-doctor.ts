/**
 * Wires the connection doctor (main/doctor/) to the running services: the connector URL it checks,
 * the auth service's in-process token, and the network it goes out on.
 */
import type { AuthService } from './auth/auth-service.js';
import { joinUrl } from './control/status-view.js';
import type { ControlDoctorPort } from './control/ports.js';
import { runDoctor, type DoctorDeps } from './doctor/doctor.js';
import { systemNetwork, type DoctorNetwork } from './doctor/network.js';
import type { TunnelState } from './tunnel/types.js';

export interface DoctorWiring {
  authMode: 'oauth' | 'none';
  auth: AuthService | undefined;
  publicOrigin(): string | null;
  mcpPath(): string;
  /** `--auth none` on loopback only: there is no public side to check. */
  localOnly: boolean;
  network: Partial<DoctorNetwork>;
  /** What connected clients believe (bootstrap-connectors.ts), reported as the last steps. */
  clients?: DoctorDeps['clients'];
  /** The tunnel's state, for the fix when there is no public URL. */
  tunnelState(): TunnelState;
}

export function createDoctorPort(w: DoctorWiring): ControlDoctorPort {
  const network: DoctorNetwork = { ...systemNetwork, ...w.network };
  return {
    run: () =>
      runDoctor({
        connectorUrl: () => {
          const origin = w.localOnly ? null : w.publicOrigin();
          return origin ? joinUrl(origin, w.mcpPath()) : null;
        },
        authMode: w.authMode,
        mintToken: () => w.auth?.mintDoctorToken() ?? null,
        network,
        ...(w.clients ? { clients: w.clients } : {}),
        publicSide: () => ({ localOnly: w.localOnly, tunnel: w.tunnelState() }),
      }),
  };
}
