"""Golden files: regenerated only on purpose.

`NINEROUTER_UPDATE_GOLDEN=1 pytest tests` rewrites every expected file under tests/golden/ from
the current translators (review the diff). `pytest tests/translate --update-golden` does the same
when this directory is named on the command line: pytest reads pytest_addoption only from the
conftest files it loads at start-up, so with a plain `pytest tests` the option is not registered
and the environment variable is the way.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected golden files under tests/golden/ (review the diff)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    try:
        flag = bool(request.config.getoption("--update-golden"))
    except ValueError:
        flag = False
    return flag or os.environ.get("NINEROUTER_UPDATE_GOLDEN") == "1"
