"""Sphinx configuration for the skdistill documentation."""

import os
import sys
import warnings

from sklearn.exceptions import ConvergenceWarning

# The gallery trains few epochs on purpose, to keep the build short.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# Must be set before the gallery's examples first import TensorFlow, or its
# start-up logs end up in the build output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Document the checkout being built, not whichever skdistill is installed.
sys.path.insert(0, os.path.abspath(".."))
# Local helpers for the build: the gallery's sort key, links into
# scikit-learn's documentation.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

import skdistill

project = "skdistill"
author = "skdistill developers"
copyright = "skdistill developers"
release = skdistill.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax from the build's own _static/mathjax, not a CDN, so that the
    # maths renders offline too.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # Links for the scikit-learn references in inherited docstrings.
    "sklearn_refs",
]

templates_path = ["_templates"]
# sg_execution_times.rst is a report of the gallery's run times that older
# builds wrote (see write_computation_times below); it is not a page.
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "sg_execution_times.rst",
    "auto_examples/sg_execution_times.rst",
]

autosummary_generate = True

# "On this page" lists a class's methods as ``fit()``, not
# ``DistilledClassifier.fit()``: the short names fit the sidebar.
toc_object_entries_show_parents = "hide"

# The class template lists methods itself; numpydoc's member tables would
# repeat them.
numpydoc_show_class_members = False

# No intersphinx: the build must not need the network. References to Python,
# NumPy, scikit-learn and Keras are written as literals instead.

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # Only plot_*.py scripts are gallery pages; other scripts in examples/,
    # such as the README's, stay plain scripts.
    "ignore_pattern": r"^(?!plot_)",
    # From the most basic example to the most specialised; the list is in
    # _ext/gallery_order.py.
    "within_subsection_order": "gallery_order.GalleryOrder",
    # Links each API page to the examples that use the class.
    "doc_module": ("skdistill",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skdistill": None},
    # The run-time report loads jQuery and DataTables from CDNs, and its
    # times are the build machine's, not the product's.
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"skdistill {release}"
html_theme_options = {
    "navigation_with_keys": False,
    # Every top-level page in the header, none folded into "More".
    "header_links_before_dropdown": 9,
}
# Pages without sub-pages have nothing for the left sidebar's navigation:
# no sidebar there, so the page takes the width.
html_sidebars = {
    page: []
    for page in ("index", "install", "main_job", "own_data", "performance", "scaling")
}
# custom.css lets wide example output scroll instead of being clipped.
html_static_path = ["_static"]
html_css_files = ["custom.css"]
