"""Sphinx configuration of the bnncore site.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    sphinx-build -W --keep-going -n docs docs/_build/html

The eight tutorials (``docs/tutorials`` is a link to ``notebooks/``, so they run in their
own folder, as in Jupyter) are executed by myst-nb during the build, with a time limit per
cell; a failing cell fails the build. ``pytest`` executes the same notebooks again with
nbmake. Two executions, on purpose: the test command has to work without Sphinx (a
student's laptop), the site has to build without pytest, and the notebooks stay committed
without outputs; sharing one execution would mean writing outputs into tracked files (or
a cache both tools trust) to save about 2.5 minutes of CI.

Nothing is fetched from the network, at build time or when a page is read: MathJax is
served from the build folder (``sphinx-mathjax-offline``), there is no intersphinx, and
the theme's assets are local.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import os  # noqa: E402
import warnings  # noqa: E402

import bnncore  # noqa: E402

# The tutorials show their figures inline. A kernel inherits MPLBACKEND, and the
# non-interactive backend that CI sets for the tests (MPLBACKEND=Agg) would drop every
# figure from the pages, so the build leaves the choice to the kernel (inline).
os.environ.pop("MPLBACKEND", None)

# numpydoc parses raw class docstrings for signatures and warns about the two extra
# sections; bnncore_docstrings turns them into rubrics before rendering.
warnings.filterwarnings("ignore", message="Unknown section (Shapes|Hooks)", category=UserWarning)

project = "bnncore"
author = "the bnncore developers"
copyright = "2026, the bnncore developers"
release = bnncore.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx-mathjax-offline",
    "bnncore_docstrings",
    "bnncore_results",
]

exclude_patterns = ["_build", "**/.ipynb_checkpoints", "figures/**/*.py"]
templates_path = ["_templates"]
nitpicky = True

# MyST: $...$ and $$...$$ math, ::: fences, heading anchors for [text](page.md#anchor).
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# myst-nb: every tutorial is executed once per build, in its own folder (notebooks/),
# with a per-cell timeout; an error in any cell fails the build (-W).
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_ipywidgets_js = {}

# API reference: autosummary writes one page per public name; numpydoc renders the
# docstrings. Type hints stay in the signature text only.
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"bnncore {release}"
html_static_path = ["_static"]
html_css_files = ["bnncore.css"]
html_favicon = "_static/favicon.svg"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "instructors": []}
html_show_sourcelink = False
# The theme's light/dark switch needs a valid starting mode (an empty one logs a console
# error in every browser): follow the reader's system setting.
html_context = {"default_mode": "auto"}
