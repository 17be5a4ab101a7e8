#!/usr/bin/env bash
# Runs every test (or the files/folders given) with Node's test runner.
# The keychain tests need a Secret Service: when none is on the session bus and gnome-keyring is
# installed, re-run inside a private D-Bus session with an unlocked, throw-away keyring.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TUNNELGATE_IN_DBUS:-}" ] && [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] \
   && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  export TUNNELGATE_IN_DBUS=1
  exec dbus-run-session -- bash "$0" "$@"
fi
if [ -n "${TUNNELGATE_IN_DBUS:-}" ] && [ -z "${TUNNELGATE_KEYRING_UP:-}" ]; then
  export TUNNELGATE_KEYRING_UP=1
  export XDG_DATA_HOME="$(mktemp -d)"   # a fresh keyring file, never the user's
  keyring_dir="$XDG_DATA_HOME"
  echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true
  gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1 || true
fi

files=()
if [ "$#" -eq 0 ]; then set -- test; fi
for arg in "$@"; do
  if [ -d "$arg" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$arg" -name '*.test.ts' -o -name '*.test.tsx' | sort)
  else
    files+=("$arg")
  fi
done
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found in: $*" >&2; exit 1; fi

export NODE_ENV=test
if [ -n "${keyring_dir:-}" ]; then
  # Not exec: the throw-away keyring folder is removed once the tests end.
  status=0
  node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" \
    --test-timeout="${TEST_TIMEOUT_MS:-120000}" "${files[@]}" || status=$?
  rm -rf "$keyring_dir"
  exit "$status"
fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" \
  --test-timeout="${TEST_TIMEOUT_MS:-120000}" "${files[@]}"
