"""Shared paths: the repository, and the fgac command line the comparisons run (FGAC_BIN)."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def fgac_bin() -> str:
    """The fgac command line .ci/run built (FGAC_BIN), or the one on PATH."""
    binary = os.environ.get("FGAC_BIN") or shutil.which("fgac")
    assert binary, "set FGAC_BIN to the fgac command line (target/release/fgac)"
    return binary
