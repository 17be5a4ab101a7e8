/** Activity: the tool-call log (bus, ring buffer, rotating JSONL files, redaction) and its readers. */
export type { ActivityEvent } from './types.js';
export {
  createActivityLog,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  DEFAULT_RETENTION_DAYS,
  type ActivityLog,
} from './activity-log.js';
export { createRedactor, isSecretKey, REDACTED } from './redact.js';
export { followActivity, readRecent, readRecentEvents } from './log-reader.js';
export { formatEventLine, formatHeaderLine } from './format-event.js';
