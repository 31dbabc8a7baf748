"""Regenerate livepatch_pb2.py and its typed stub (livepatch_pb2.pyi) from livepatch.proto.

Run ``python -m velocity.livepatch.proto._regenerate`` with grpcio-tools, mypy-protobuf
and ruff installed (``protoc-gen-mypy`` next to the interpreter or on PATH).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SRC = HERE.parents[2]
OUTPUTS = ("livepatch_pb2.py", "livepatch_pb2.pyi")
# Generated code is not ours to lint; it is formatted so that `ruff format --check` passes.
HEADER = "# ruff: noqa\n"


def main() -> int:
    bindir = Path(sys.executable).parent
    plugin = bindir / "protoc-gen-mypy"
    if not plugin.exists():
        plugin = Path(shutil.which("protoc-gen-mypy") or "protoc-gen-mypy")
    proto = (HERE / "livepatch.proto").relative_to(SRC)
    subprocess.run(
        [
            *(sys.executable, "-m", "grpc_tools.protoc", f"--plugin=protoc-gen-mypy={plugin}"),
            *(f"--proto_path={SRC}", f"--python_out={SRC}", f"--mypy_out={SRC}", str(proto)),
        ],
        check=True,
        cwd=SRC,
    )
    for name in OUTPUTS:
        path = HERE / name
        # flake8-pyi codes in mypy-protobuf's output are unknown to ruff (RUF102).
        text = re.sub(r"  # noqa: Y\d+", "", path.read_text(encoding="utf-8"))
        path.write_text(HEADER + text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "ruff", "format", *(str(HERE / n) for n in OUTPUTS)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
