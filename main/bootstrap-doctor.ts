/**
 * Wires the connection doctor (main/doctor/) to the running services: the connector URL it checks,
 * the auth service's in-process token, and the network it goes out on.
 */
import type { AuthService } from './auth/auth-service.js';
import { joinUrl } from './control/status-view.js';
import type { ControlDoctorPort } from './control/ports.js';
import type { DoctorDeps } from './doctor/doctor.js';
import type { DoctorNetwork } from './doctor/network.js';
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

/**
 * The doctor's modules (its checks, a TLS and DNS client) are loaded on its first run (issue 16,
 * idle memory): a gateway may run for weeks without anyone asking for one.
 */
export function createDoctorPort(w: DoctorWiring): ControlDoctorPort {
  return {
    run: async () => {
      const [{ runDoctor }, { systemNetwork }] = await Promise.all([
        import('./doctor/doctor.js'),
        import('./doctor/network.js'),
      ]);
      const network: DoctorNetwork = { ...systemNetwork, ...w.network };
      return runDoctor({
        connectorUrl: () => {
          const origin = w.localOnly ? null : w.publicOrigin();
          return origin ? joinUrl(origin, w.mcpPath()) : null;
        },
        authMode: w.authMode,
        mintToken: () => w.auth?.mintDoctorToken() ?? null,
        network,
        ...(w.clients ? { clients: w.clients } : {}),
        publicSide: () => ({ localOnly: w.localOnly, tunnel: w.tunnelState() }),
      });
    },
  };
}
