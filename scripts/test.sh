#!/usr/bin/env bash
# Install what the tests need, then run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest --durations=25 "$@"
