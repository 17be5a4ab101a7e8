import { currentPlatform, dataDir } from '../config/paths.js';
import { createControlHttpClient } from '../control/http-client.js';
import { readControlConnection } from '../control/connection-file.js';
import { formatReport } from '../doctor/doctor.js';
import { parseArgs } from './args.js';
import { line, type CliIo } from './io.js';
import { USAGE } from './usage.js';

/**
 * `tunnelgate doctor [--json]`: asks the running gateway (through its control listener, as
 * `tunnelgate approvals` does) to replay ChatGPT's steps through its public URL; prints the report.
 * Exit 0 when nothing failed (warnings allowed), 1 on a failed step or when no gateway answers.
 */
export async function runDoctorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { flags: { json: 'boolean' }, positionals: { min: 0, max: 0 } });
  if (args.help) {
    line(io.stdout, USAGE.doctor);
    return 0;
  }
  try {
    const info = await readControlConnection(dataDir({ ...currentPlatform(), env: io.env }));
    // The doctor's steps each have their own time limit; the whole run may take a while through a tunnel.
    const client = createControlHttpClient({ port: info.port, token: info.token, timeoutMs: 120_000 });
    const report = await client.runDoctor();
    line(io.stdout, args.flags['json'] ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.level === 'failure' ? 1 : 0;
  } catch (err) {
    line(io.stderr, (err as Error).message);
    return 1;
  }
}
