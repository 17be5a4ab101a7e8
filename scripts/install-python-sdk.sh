#!/usr/bin/env bash
# Installs the official MCP Python SDK (PyPI package `mcp`) into a venv in .tools/py, for the test that
# drives the gateway with a Python client (test/integration/clients/python-sdk.test.ts). .ci/run calls
# it; run it once by hand before that test. Idempotent: returns at once when that version is there.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.3.0
venv=.tools/py

has_sdk() {
  [ -x "$venv/bin/python" ] && "$venv/bin/python" -c \
    "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$VERSION')" 2>/dev/null
}
if has_sdk; then exit 0; fi

if ! command -v python3 >/dev/null; then
  echo "install-python-sdk: python3 is missing; install Python 3.10 or newer with venv and pip" \
    "(Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
# --retries 0: where pip reaches packages only through a local index (an extra-index-url in pip's
# config), each lookup on the unreachable default index would otherwise be retried five times with
# back-off (minutes instead of seconds); a reachable index answers at the first try either way.
"$venv/bin/pip" install -qq --disable-pip-version-check --retries 0 "mcp==$VERSION"
has_sdk || { echo "install-python-sdk: mcp==$VERSION did not install into $venv" >&2; exit 1; }
echo "MCP Python SDK $VERSION in $venv"
