#!/usr/bin/env bash
# Install what the tests need, then run the whole test suite on pytest-xdist workers (see
# docs/development.md). Extra arguments go to pytest; SCAN_STATION_TEST_WORKERS sets the workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# Compiled once here: the suite starts a few hundred `scan-station` processes, and with
# PYTHONDONTWRITEBYTECODE (set on some machines) each would compile every module again.
.venv/bin/python -m compileall -q -j 0 scan_station web tests bench >/dev/null
exec .venv/bin/python -m pytest -n "${SCAN_STATION_TEST_WORKERS:-logical}" --dist loadfile --no-loadscope-reorder --durations=25 "$@"
