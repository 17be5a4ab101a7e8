/** Config: schema, paths, loading with readable errors, hot reload, atomic edits, Claude import. */
export * from './schema.js';
export { ConfigError, type ConfigProblem } from './config-error.js';
export { loadConfig, parseConfigText, type LoadedConfig } from './load-config.js';
export { watchConfig, type ConfigWatcher, type WatchConfigOptions } from './watch-config.js';
export { createConfigEditor, type ConfigEditor, type ConfigEditorDeps } from './config-editor.js';
export { writeFileAtomic } from './atomic-write.js';
export { isToolEnabled, matchesGlob } from './glob.js';
export {
  findClaudeDesktopConfig,
  mergeClaudeServers,
  readClaudeServers,
  type ClaudeImportResult,
} from './claude-import.js';
export {
  activityDir,
  claudeDesktopConfigPath,
  configDir,
  currentPlatform,
  dataDir,
  defaultConfigPath,
  resolveConfigPath,
  type PlatformEnv,
} from './paths.js';
