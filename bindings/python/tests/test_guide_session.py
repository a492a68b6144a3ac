"""The guide's "From Python" session (docs/src/embed.md), run as a doctest from the repository's
root: its output is what the module prints."""

from __future__ import annotations

import doctest
import os
import re

from conftest import ROOT


def test_the_guide_session_prints_what_it_shows() -> None:
    page = (ROOT / "docs/src/embed.md").read_text()
    section = page.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1 and blocks[0].count(">>>") >= 4, blocks
    parser = doctest.DocTestParser()
    test = parser.get_doctest(blocks[0], {}, "docs/src/embed.md: From Python", "docs/src/embed.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        runner.run(test)
    finally:
        os.chdir(cwd)
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples of the page differ"
    assert runner.tries >= 4
