"""bench/python/bench_pychat.py runs and its checks pass (tiny counts; no
timing is asserted)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parents[3] / "bench" / "python" / "bench_pychat.py"


def test_bench_smoke() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--messages", "50", "--pairs", "1"],
                         env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "with on_message hook" in out.stdout and "pipelined" in out.stdout
