"""RTK tests: fixtures are the golden inputs under tests/golden/rtk (real tool outputs).

Regenerate the expected outputs with NINEROUTER_UPDATE_GOLDEN=1 (or --update-golden when
tests/translate is collected too, which registers that option).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent.parent / "golden" / "rtk"


def load(case: str) -> str:
    return (GOLDEN / f"{case}.in.txt").read_text()


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    try:
        flag = bool(request.config.getoption("--update-golden"))
    except ValueError:
        flag = False
    return flag or os.environ.get("NINEROUTER_UPDATE_GOLDEN") == "1"
