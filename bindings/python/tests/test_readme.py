"""The README's Python example runs as shown."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def test_readme_python_example() -> None:
    text = README.read_text()
    found = re.search(r"<!-- example: python -->\n```python\n(.*?)```", text, re.S)
    assert found, "README has no <!-- example: python --> block"
    out = subprocess.run([sys.executable, "-c", found.group(1)], env=dict(os.environ),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "hi alice, how can I help?",
        "maintenance at 22:00",
        "refused: REJECTED",
        "mallory got 403",
    ]
