"""Sphinx extension: docstring sections that numpydoc does not know, kept visible.

bnncore's docstrings use two sections beyond numpydoc's standard set: ``Shapes`` (array
shapes of a layer's input and output) and ``Hooks`` (what a ``Trainer`` subclass may
override). numpydoc drops unknown sections with a warning, so before it runs, each such
section becomes a rubric at the end of the extended summary. Module docstrings are not
parsed by numpydoc; their underlined section titles (``Examples``) become rubrics too, so
that they are not document sections of the API page.
"""

from __future__ import annotations

import re

STANDARD = {"Parameters", "Returns", "Yields", "Receives", "Raises", "Warns", "Warnings",
            "Other Parameters", "Attributes", "Methods", "See Also", "Notes", "References",
            "Examples"}
_TITLE = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)$")


def _sections(lines: list[str]) -> list[tuple[int, str]]:
    """(index, title) of every numpydoc section header: a title over a line of dashes."""
    found = []
    for i in range(len(lines) - 1):
        title, rule = lines[i].strip(), lines[i + 1].strip()
        if _TITLE.match(title) and rule and set(rule) == {"-"} and len(rule) == len(title):
            found.append((i, title))
    return found


def _process(app, what, name, obj, options, lines) -> None:
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
