#!/usr/bin/env python
"""Regenerate fate_flow/proto/*_pb2*.py from proto/*.proto (needs grpcio-tools: pip install -e .[test]).

The sources are mapped to the virtual path fate_flow/proto/ so the generated modules import each other as
`fate_flow.proto.<name>_pb2`. Run from anywhere: python bin/gen_proto.py
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from grpc_tools import protoc

    sources = sorted((ROOT / "proto").glob("*.proto"))
    if not sources:
        print("no .proto files under proto/", file=sys.stderr)
        return 1
    include = Path(protoc.__file__).resolve().parent / "_proto"
    base = ["protoc", f"-Ifate_flow/proto={ROOT / 'proto'}", f"-I{include}", f"--python_out={ROOT}",
            f"--pyi_out={ROOT}"]
    # gRPC stubs only for files that define a service (model messages need none)
    with_services = [s for s in sources if re.search(r"^\s*service\s", s.read_text(encoding="utf-8"), re.M)]
    for group, extra in ((sources, []), (with_services, [f"--grpc_python_out={ROOT}"])):
        if not group:
            continue
        code = protoc.main(base + extra + [f"fate_flow/proto/{s.name}" for s in group])
        if code:
            print(f"protoc failed with exit code {code}", file=sys.stderr)
            return code
    print("generated:", ", ".join(p.name for p in sorted((ROOT / "fate_flow" / "proto").glob("*_pb2*.py*"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
