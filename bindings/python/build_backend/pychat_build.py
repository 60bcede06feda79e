"""A PEP 517 build backend for pychat: builds the pychat_core target with the
project's CMake and packs the wheel with zipfile. It uses only the standard
library, so `pip install --no-build-isolation` works offline (setuptools 65
would need the `wheel` package for this)."""

from __future__ import annotations

import base64
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from typing import Dict, List, Optional

HERE = pathlib.Path(__file__).resolve().parent.parent  # bindings/python
ROOT = HERE.parent.parent
NAME, VERSION = "pychat", "0.1.0"
METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: Python bindings for libchat, an embeddable one-to-one chat router
Requires-Python: >=3.9
"""


def _tag() -> str:
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{py}-{py}-{plat}"


def _build() -> pathlib.Path:
    """Configures and builds pychat_core; returns the built package dir."""
    build = HERE / "build" / f"cmake-{sys.implementation.cache_tag}"
    cmd = ["cmake", "-S", str(ROOT), "-B", str(build),
           "-DCMAKE_BUILD_TYPE=Release", "-DCHAT_BUILD_TESTS=OFF",
           "-DCHAT_BUILD_SERVER=OFF", "-DCHAT_BUILD_PYTHON=ON",
           f"-DPython3_EXECUTABLE={sys.executable}"]
    if shutil.which("ninja"):
        cmd += ["-G", "Ninja"]
    if shutil.which("ccache"):
        cmd += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
    if not (build / "CMakeCache.txt").exists():
        subprocess.run(cmd, check=True)
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    subprocess.run(["cmake", "--build", str(build), "--target", "pychat_core",
                    "--parallel", jobs], check=True)
    return build / "bindings" / "python" / "pychat"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"{path},sha256={digest.decode()},{len(data)}"


def build_wheel(wheel_directory: str,
                config_settings: Optional[Dict[str, str]] = None,
                metadata_directory: Optional[str] = None) -> str:
    pkg = _build()
    tag = _tag()
    dist_info = f"{NAME}-{VERSION}.dist-info"
    files: Dict[str, bytes] = {
        f"{NAME}/{p.name}": p.read_bytes() for p in sorted(pkg.iterdir()) if p.is_file()
    }
    files[f"{dist_info}/METADATA"] = METADATA.encode()
    files[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: pychat_build\nRoot-Is-Purelib: false\n"
        f"Tag: {tag}\n").encode()
    files[f"{dist_info}/top_level.txt"] = f"{NAME}\n".encode()
    record: List[str] = [_record_line(p, d) for p, d in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()

    name = f"{NAME}-{VERSION}-{tag}.whl"
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / name, "w",
                         zipfile.ZIP_DEFLATED) as whl:
        for path, data in files.items():
            whl.writestr(path, data)
    return name


def prepare_metadata_for_build_wheel(metadata_directory: str,
                                     config_settings: Optional[Dict[str, str]] = None) -> str:
    # Lets pip read the metadata without compiling first.
    dist_info = pathlib.Path(metadata_directory) / f"{NAME}-{VERSION}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(METADATA)
    return dist_info.name


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, str]] = None) -> List[str]:
    return []
