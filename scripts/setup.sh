#!/usr/bin/env bash
# Install everything Scan Station needs on Debian 12, as root: system packages with apt-get,
# Python packages into ./.venv. Safe to run again; it installs only what is missing.
#   scripts/setup.sh          the service
#   scripts/setup.sh --test   the service and what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-dev gcc           # python-sane compiles against libsane
  tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng tesseract-ocr-osd
  ghostscript qpdf unpaper pngquant poppler-utils # ocrmypdf's helpers
  libzbar0                                        # barcodes (pyzbar)
  libsane1 libsane-dev sane-utils                 # scanners (python-sane)
  fonts-liberation fonts-dejavu-core              # sample pages and cover sheets
  libreoffice-writer libreoffice-calc libreoffice-impress  # office softcopies into PDF
  bubblewrap                                      # the box LibreOffice and Ghostscript open outside files in
  util-linux                                      # mount, setpriv (tests)
)

# only for the tests: udevadm and systemd-analyze check the rules and units in udev/; Debian's
# chromium is the browser of the end-to-end test (Playwright drives it; it downloads no browser);
# redis-server and postgresql are a bigger office's queue and database (the tests start their own)
[ "${1:-}" = "--test" ] && APT_PACKAGES+=(udev systemd chromium redis-server postgresql)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
extra=""
[ "${1:-}" = "--test" ] && extra="[test,bench]"  # the tests also run the benchmark scripts
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
log=$(mktemp)
if ! .venv/bin/python -m pip install -q --disable-pip-version-check --no-compile -e ".${extra}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: pip install failed" >&2
  exit 1
fi
rm -f "$log"
# The bytecode pip would have written one file after another, on every core at once (17 -> 10 s on
# 2 cores), but not for what nothing imports while Scan Station runs: the packages' own tests, pip
# and setuptools (8.2 -> 7.2 s). A file no Python 3 compiles (a package's old example) fails here
# as it would in pip.
.venv/bin/python -m compileall -q -j 0 -x 'site-packages/(.*/)?tests?/|site-packages/(pip|setuptools)/' .venv/lib/python3*/site-packages \
  >/dev/null 2>&1 || true
.venv/bin/pybabel -q compile -d web/translations   # the kiosk's message catalogs
echo "setup: done ($(.venv/bin/scan-station --version))" >&2
