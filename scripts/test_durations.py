"""Write tests/durations.json, each test file's seconds in a run, from that run's JUnit XML:

    .venv/bin/python -m pytest -n auto --dist loadfile --junitxml=run.xml
    .venv/bin/python scripts/test_durations.py run.xml

`tests/conftest.py` starts the longest files first, so that no worker is left with a long one at
the end of a run (pytest-xdist gives each worker whole files).
"""

import collections
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(junit: str) -> None:
    seconds: collections.Counter[str] = collections.Counter()
    for case in ET.parse(junit).iter("testcase"):
        module = (case.get("classname") or "").split(".")[-1]
        seconds[f"{module}.py"] += float(case.get("time") or 0)
    durations = {name: round(value, 1) for name, value in seconds.most_common()}
    (REPO / "tests" / "durations.json").write_text(json.dumps(durations, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
