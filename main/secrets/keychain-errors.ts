/**
 * Turns an error from @napi-rs/keyring into a reason a person can act on. The library's messages
 * never carry secret values, but they are written for developers ("Platform failure: DBus error").
 */
export function keychainErrorReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return 'the keychain did not answer in time (is an unlock prompt waiting?)';
  }
  if (
    process.platform === 'linux' &&
    /dbus|secret service|org\.freedesktop\.secrets|autolaunch|failed to connect/i.test(message)
  ) {
    if (/prompt was dismissed|locked/i.test(message)) {
      return 'the Secret Service keyring is locked and could not be unlocked (the unlock prompt was dismissed or cannot be shown)';
    }
    return 'No Secret Service is running (install gnome-keyring or KeePassXC, or run inside a desktop session)';
  }
  if (/prompt was dismissed|locked/i.test(message)) {
    return 'the keychain is locked and could not be unlocked';
  }
  return `the keychain could not be opened (${message})`;
}
