/** Config: schema, paths, loading with readable errors, hot reload, atomic edits, Claude import. */
export * from './schema.js';
export { DEFAULT_PORT } from './ports.js';
export { ConfigError } from './config-error.js';
export { loadConfig, parseConfigText, type LoadedConfig } from './load-config.js';
export { watchConfig, type ConfigWatcher } from './watch-config.js';
export { createConfigEditor, type ConfigEditor } from './config-editor.js';
export { findClaudeDesktopConfig, readClaudeServers } from './claude-import.js';
export {
  claudeDesktopConfigPath,
  currentPlatform,
  dataDir,
  defaultConfigPath,
  resolveConfigPath,
  type PlatformEnv,
} from './paths.js';
