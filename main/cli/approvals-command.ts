import { SCOPE_FULL, SCOPE_READ } from '../../preload/contract.js';
import { currentPlatform, dataDir } from '../config/paths.js';
import { connectControlClient, type ControlClient } from '../control/http-client.js';
import type { ApprovalRequestView } from '../../preload/contract.js';
import { parseArgs } from './args.js';
import { line, type CliIo } from './io.js';
import { USAGE } from './usage.js';

function describe(r: ApprovalRequestView): string {
  const left = Math.max(0, Math.round((r.expiresAt - Date.now()) / 1000));
  const via = r.cimdUrl ? `metadata ${r.cimdUrl}` : `registered client ${r.clientId}`;
  // Where and how long ago: the owner's own request is the one from their network, just now.
  const age = Math.max(0, Math.round((Date.now() - r.createdAt) / 1000));
  const from = `from ${r.address ?? 'an unknown address'}, asked ${age}s ago`;
  return `${r.id}  code ${r.pairingCode}  ${r.clientName}  redirect ${r.redirectUri ?? r.redirectHost}  (${from}; ${via}; scopes ${r.requestedScopes.join(' ') || '-'}; expires in ${left}s)`;
}

async function findRequest(client: ControlClient, idOrCode: string): Promise<ApprovalRequestView> {
  const pending = await client.listApprovals();
  const found = pending.find(
    (r) => r.id === idOrCode || r.pairingCode.toLowerCase() === idOrCode.toLowerCase(),
  );
  if (!found) {
    throw new Error(
      `No pending request '${idOrCode}'. It may have expired or been answered; see "tunnelgate approvals".`,
    );
  }
  return found;
}

/** `tunnelgate approvals | approve ID [--read-only] | deny ID`, through the running gateway's control listener. */
export async function runApprovals(
  command: 'approvals' | 'approve' | 'deny',
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const args = parseArgs(argv, {
    flags:
      command === 'approve'
        ? { 'read-only': 'boolean' }
        : command === 'approvals'
          ? { 'forget-stale': 'boolean' }
          : {},
    positionals: command === 'approvals' ? { min: 0, max: 0 } : { min: 1, max: 1, names: 'ID' },
    // A request ID is 16 random bytes in base64url (22 characters); no option is that shape.
    dashPositional: /^-[A-Za-z0-9_-]{21}$/,
  });
  if (args.help) {
    line(io.stdout, USAGE[command]);
    return 0;
  }
  try {
    const client = await connectControlClient(dataDir({ ...currentPlatform(), env: io.env }), 15_000);
    if (command === 'approvals' && args.flags['forget-stale']) {
      // Grants bound to an old public URL (a quick tunnel's earlier one): their tokens cannot work here.
      const stale = (await client.getStatus()).staleGrants ?? [];
      for (const g of stale)
        line(io.stdout, `Forgetting ${g.clientName} (${g.grantId}), bound to ${g.resource}`);
      const n = await client.forgetStaleGrants();
      line(
        io.stderr,
        n
          ? `Forgot ${n} client(s); re-create their connectors in ChatGPT.`
          : 'No client is bound to an old URL.',
      );
      return 0;
    }
    if (command === 'approvals') {
      const pending = await client.listApprovals();
      if (pending.length === 0) line(io.stderr, 'No client is waiting for approval.');
      for (const r of pending) line(io.stdout, describe(r));
      return 0;
    }
    const request = await findRequest(client, args.positionals[0]!);
    if (command === 'deny') {
      await client.deny(request.id);
      line(io.stdout, `Denied ${request.clientName} (${request.id}).`);
      return 0;
    }
    const scopes = args.flags['read-only']
      ? [SCOPE_READ]
      : request.requestedScopes.length
        ? request.requestedScopes
        : [SCOPE_FULL];
    await client.approve(request.id, scopes);
    line(io.stdout, `Approved ${request.clientName} (${request.id}) with ${scopes.join(' ')}.`);
    return 0;
  } catch (err) {
    line(io.stderr, (err as Error).message);
    return 1;
  }
}
