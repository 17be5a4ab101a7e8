#!/usr/bin/env bash
# Debian's Chromium as the tests start it (browser.ts): Playwright passes its own --disable-features
# list and the tests add theirs, but Chromium keeps only the last --disable-features it is given, so
# the lists are merged into one here. exec: Playwright's pid is Chromium's. (TUNNELGATE_TEST_CHROMIUM_BIN: for its test.)
set -euo pipefail
features=()
args=()
for arg in "$@"; do
  case "$arg" in
    --disable-features=*) features+=("${arg#--disable-features=}") ;;
    *) args+=("$arg") ;;
  esac
done
if [ "${#features[@]}" -gt 0 ]; then
  args+=("--disable-features=$(IFS=,; printf %s "${features[*]}")")
fi
exec "${TUNNELGATE_TEST_CHROMIUM_BIN:-/usr/bin/chromium}" "${args[@]}"
