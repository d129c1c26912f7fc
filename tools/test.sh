#!/usr/bin/env bash
# Everything the test suite needs, then the suite: `bash tools/test.sh` (README), also run by .ci/run.
#
#   bash tools/test.sh                 # the whole suite on 2 processes
#   bash tools/test.sh -m "not slow"   # arguments go to pytest: here the quick loop
#
# 1. System packages the rendering tests use, installed with apt-get when missing and running as
#    root: Chromium (screenshots of the HTML; Playwright tests launch it), poppler-utils (pdftoppm:
#    PDF pages as pictures), fonts-dejavu-core (text fonts for Chromium). Not root: it says what is
#    missing, and those tests are skipped (with CI set they fail instead).
# 2. A virtualenv in .venv with examgen and its test extra (pinned CPU torch==2.13.0, pytest ...).
# 3. pytest -n 2, naming the 10 slowest tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(chromium poppler-utils fonts-dejavu-core)   # tests/conftest.py TOOLS names the first two

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
else  # not Debian: look for the programs themselves
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tools/test.sh: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "tools/test.sh: missing ${missing[*]}: install them (sudo apt-get install ${missing[*]})," \
         "or the tests that need them are skipped" >&2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
pip install -q -e '.[test]'
exec python -m pytest -n 2 --durations=10 "$@"
