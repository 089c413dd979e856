"""The API reference (docs/api/*.md) lists every public name, and nothing else.

Each page documents one module: an ``autosummary`` block per kind under a
``.. currentmodule::`` line, and links to the pages of subpackages. The lists here are
compared with the modules' ``__all__``, so a name added to the library without a page, or
a page left behind by a removed name, fails.
"""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "docs" / "api"
MODULES = ["bnncore", "bnncore.layers", "bnncore.quantizers", "bnncore.optim",
           "bnncore.losses", "bnncore.data", "bnncore.models", "bnncore.io", "bnncore.flips",
           "bnncore.diagnostics", "bnncore.kernels", "bnncore.gft", "bnncore.fsg",
           "bnncore.testing", "theory.decomposition", "theory.sat", "theory.hardness",
           "theory.gap"]


def documented(module: str, api: Path = API) -> set[str]:
    """Qualified names a page documents: autosummary entries and links to module pages."""
    text = (api / f"{module}.md").read_text()
    names: set[str] = set()
    current = None
    in_table = False
    for line in text.splitlines():
        if m := re.match(r"\.\. currentmodule:: (\S+)", line):
            current = m.group(1)
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif line.startswith("```"):
            in_table = False
        elif in_table and (m := re.match(r"   ([A-Za-z_][\w.]*)$", line)):
            names.add(f"{current}.{m.group(1)}")
        if m := re.match(r"- \[`([\w.]+)`\]\(([\w.]+)\.md\)", line):
            assert m.group(1) == m.group(2), line
            names.add(m.group(1))
    return names


def public(module: str) -> set[str]:
    return {f"{module}.{name}" for name in importlib.import_module(module).__all__}


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_has_an_entry(module):
    missing = public(module) - documented(module)
    stale = {n for n in documented(module) - public(module)
             if n.rsplit(".", 1)[0] == module and not n.endswith(("kernels", "gft", "fsg"))}
    assert not missing, f"public names without an API entry on docs/api/{module}.md: {missing}"
    assert not stale, f"API entries on docs/api/{module}.md that are not public: {stale}"


def test_every_module_page_is_in_the_index_and_the_lazy_subpackages_are_linked():
    index = (API / "index.md").read_text()
    assert [m for m in MODULES if f"\n{m}\n" not in index] == []
    assert {p.stem for p in API.glob("*.md")} == set(MODULES) | {"index"}
    # kernels, gft and fsg load on first use, so they are not in bnncore.__all__
    assert {"bnncore.kernels", "bnncore.gft", "bnncore.fsg"} <= documented("bnncore")
    for name in public("bnncore"):
        value = getattr(importlib.import_module("bnncore"), name.rsplit(".", 1)[1])
        if isinstance(value, types.ModuleType):
            assert name in MODULES, f"{name} is a public module without its own page"


def test_the_parser_sees_a_missing_entry(tmp_path):
    page = (API / "bnncore.layers.md").read_text().replace("   Sign\n", "")
    (tmp_path / "bnncore.layers.md").write_text(page)
    found = documented("bnncore.layers", api=tmp_path)
    assert "bnncore.layers.Dense" in found and "bnncore.layers.Sign" not in found
