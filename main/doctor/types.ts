/**
 * What the doctor and the tool-list checks report (types only; re-exported by preload/contract.ts
 * for the window and the CLI).
 */

export type CheckLevel = 'pass' | 'info' | 'warning' | 'failure';

/** One problem ChatGPT would have with a tool (or with the list as a whole). */
export interface ToolFinding {
  level: 'warning' | 'failure';
  /** Stable code, e.g. 'name-invalid', 'schema-not-object', 'hint-missing'. */
  code: string;
  /** What is wrong and what to do, in one sentence. */
  message: string;
}

/** The checks of one exposed tool. */
export interface ToolCheck {
  exposedName: string;
  findings: ToolFinding[];
  /** Hints the owner set in the config (`annotations`), on top of the upstream's. */
  overriddenHints: string[];
}

/** The checks of a whole tool list as ChatGPT would fetch it. */
export interface ToolListCheck {
  tools: ToolCheck[];
  /** Findings about the list as a whole (count, size) and about name pairs (duplicates). */
  list: ToolFinding[];
  count: number;
  /** Size of the `tools` array as JSON, in bytes. */
  bytes: number;
}

/** One step the doctor replayed, as ChatGPT would take it. */
export interface DoctorStep {
  id: string;
  title: string;
  level: CheckLevel;
  /** What was seen, in one or two sentences. */
  detail: string;
  /** The fix in one sentence, for a warning or a failure. */
  fix?: string;
  durationMs: number;
}

export interface DoctorReport {
  startedAt: number;
  /** The connector URL checked (public; with `--auth none` its secret segment is masked). */
  target: string;
  /** How the doctor authenticated, said plainly. */
  auth: string;
  steps: DoctorStep[];
  /** The tool-list checks from the tools/list step, when it ran. */
  toolList?: ToolListCheck;
  /** The worst level of all steps. */
  level: CheckLevel;
}
