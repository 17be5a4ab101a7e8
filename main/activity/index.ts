/** Activity: the tool-call log (bus, ring buffer, rotating JSONL files, redaction) and its readers. */
export type { ActivityEvent, ActivitySink } from './types.js';
export {
  createActivityLog,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_RETENTION_DAYS,
  type ActivityLog,
  type ActivityLogOptions,
} from './activity-log.js';
export { createRedactor, isSecretKey, REDACTED, type Redactor, type RedactorOptions } from './redact.js';
export {
  followActivity,
  readRecent,
  readRecentEvents,
  type ActivityCursor,
  type FollowOptions,
} from './log-reader.js';
export { formatEventLine, formatHeaderLine, formatTime } from './format-event.js';
export {
  activityFileName,
  listActivityFiles,
  parseActivityFileName,
  utcDay,
  type ActivityFile,
} from './log-files.js';
