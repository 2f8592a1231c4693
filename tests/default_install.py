"""What `pip install -e .` (and so `bin/install.sh`) puts in a fresh venv: fate_flow's install_requires and their
own requirements, transitively, without any extra. `default_install_site` links exactly those installed files
into one directory; a Python started with `-S` (no site-packages) and PYTHONPATH=<that directory>:<checkout>
imports what a default install has and nothing else (no test or Spark extras), without building a venv."""
from __future__ import annotations

import importlib.metadata as metadata
import re
from pathlib import Path

PROJECT = "fate_flow"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def default_install_distributions() -> set[str]:
    """Canonical names of the installed distributions a default install of fate_flow brings."""
    installed = {canonical(d.metadata["Name"]): d for d in metadata.distributions()}
    wanted: set[str] = set()
    todo = [canonical(PROJECT)]
    while todo:
        name = todo.pop()
        if name in wanted or name not in installed:
            continue  # not installed here: a requirement whose marker excludes this platform
        wanted.add(name)
        for requirement in installed[name].requires or []:
            if "extra" in requirement.partition(";")[2]:
                continue
            todo.append(canonical(re.match(r"[A-Za-z0-9._-]+", requirement).group(0)))
    return wanted


def default_install_site(target: Path) -> Path:
    """A directory of links to the top-level files and directories of those distributions (fate_flow itself
    comes from the checkout, as its editable install does)."""
    site = target / "default_install_site"
    site.mkdir(parents=True)
    installed = {canonical(d.metadata["Name"]): d for d in metadata.distributions()}
    for name in default_install_distributions() - {canonical(PROJECT)}:
        distribution = installed[name]
        for file in distribution.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            source = Path(distribution.locate_file(top))
            link = site / top
            if source.exists() and not link.exists():
                link.symlink_to(source)
    return site
