#!/usr/bin/env bash
# Everything confthread needs on a fresh Debian machine with Python 3.11+: system packages for PDF
# rendering and fonts (when missing), then a virtual environment in .venv with confthread installed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0   # WeasyPrint's text layout
  fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji  # Latin, Arabic, Hebrew, CJK, emoji
  poppler-utils                                          # pdftotext and pdftoppm, used by the tests
  chromium                                               # the HTML digest's browser tests
)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
fi
# npm fetches axe-core; a machine that already has Node.js from elsewhere keeps it (Debian's npm would
# conflict with it), so Debian's are installed only when there is no npm at all.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "setup: confthread needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }

# Reinstall only when the project's metadata changed since the last install.
stamp=.venv/.confthread-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$wanted" > "$stamp"
fi

# axe-core for the browser tests, pinned by tests/browser/package-lock.json. Playwright drives Debian's
# chromium (tests/test_html_browser.py): never `playwright install`, which would download another browser.
if [ ! -d tests/browser/node_modules/axe-core ]; then
  if [ -f tests/browser/package-lock.json ]; then
    npm ci --prefix tests/browser --no-audit --no-fund --silent
  else
    npm install --prefix tests/browser --no-audit --no-fund --silent
  fi
fi
