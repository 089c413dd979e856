"""Sphinx extension: docstring sections that numpydoc does not know, kept visible.

bnncore's docstrings use two sections beyond numpydoc's standard set: ``Shapes`` (array
shapes of a layer's input and output) and ``Hooks`` (what a ``Trainer`` subclass may
override). numpydoc drops unknown sections with a warning, so before it runs, each such
section becomes a rubric at the end of the extended summary. Module docstrings are not
parsed by numpydoc; their underlined section titles (``Examples``) become rubrics too, so
that they are not document sections of the API page.

Docstrings cite the method notes by path (``docs/quantizers.md, section "The contract"``),
which reads well in ``help()``; on the site each such path becomes a link to the page.
"""

from __future__ import annotations

import re
from pathlib import Path

STANDARD = {"Parameters", "Returns", "Yields", "Receives", "Raises", "Warns", "Warnings",
            "Other Parameters", "Attributes", "Methods", "See Also", "Notes", "References",
            "Examples"}
_TITLE = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)$")
_NOTE = re.compile(r"(?<![`\w/.])docs/(?P<page>[a-z_]+)\.md\b")


def _sections(lines: list[str]) -> list[tuple[int, str]]:
    """(index, title) of every numpydoc section header: a title over a line of dashes."""
    found = []
    for i in range(len(lines) - 1):
        title, rule = lines[i].strip(), lines[i + 1].strip()
        if _TITLE.match(title) and rule and set(rule) == {"-"} and len(rule) == len(title):
            found.append((i, title))
    return found


def _link_notes(srcdir: Path, lines: list[str]) -> None:
    """``docs/<page>.md`` in running text -> a link to that page (not in code or examples)."""
    def link(m: re.Match) -> str:
        page = m.group("page")
        if not (srcdir / f"{page}.md").is_file():
            return m.group(0)
        return f":doc:`docs/{page}.md </{page}>`"

    for i, line in enumerate(lines):
        if not line.lstrip().startswith((">>>", "...")):
            lines[i] = _NOTE.sub(link, line)


def _process(app, what, name, obj, options, lines) -> None:
    _link_notes(Path(app.srcdir), lines)
    heads = _sections(lines)
    if not heads:
        return
    if what == "module":
        for i, title in reversed(heads):
            lines[i:i + 2] = [f".. rubric:: {title}", ""]
        return
    extra = [(i, t) for i, t in heads if t not in STANDARD]
    if not extra:
        return
    bounds = [i for i, _ in heads] + [len(lines)]
    moved: list[str] = []
    for i, title in reversed(extra):
        end = bounds[bounds.index(i) + 1]
        body = lines[i + 2:end]
        moved = [f".. rubric:: {title}", "", *body] + moved
        del lines[i:end]
    first = min((i for i, t in _sections(lines)), default=len(lines))
    lines[first:first] = [*moved, ""]


def setup(app):
    # numpydoc connects at the default priority (500); this runs before it.
    app.connect("autodoc-process-docstring", _process, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
