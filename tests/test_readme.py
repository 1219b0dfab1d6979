"""Every Python block of README.md runs as it is written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

# A fenced block opens with ```python on a line of its own and closes with ```.
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^#+ (.*)$", re.MULTILINE)


def _python_blocks(text):
    """Return ``(section heading, code)`` for each Python block of ``text``."""
    blocks = []
    for match in _BLOCK.finditer(text):
        headings = _HEADING.findall(text, 0, match.start())
        blocks.append((headings[-1] if headings else "top", match.group(1)))
    return blocks


BLOCKS = _python_blocks(README.read_text(encoding="utf-8"))


def test_readme_has_python_blocks():
    # Guards the pattern: were it to stop matching, the test below would
    # collect nothing and pass.
    assert len(BLOCKS) >= 6


@pytest.mark.slow
@pytest.mark.parametrize(
    "code", [code for _, code in BLOCKS], ids=[name for name, _ in BLOCKS]
)
def test_readme_block_runs(code, tmp_path):
    # Each block runs alone, in a fresh interpreter and an empty directory: it
    # defines every name it uses and needs no file of the checkout, no data
    # download and no other block.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
