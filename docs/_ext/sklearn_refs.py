"""Links for the cross-references in docstrings inherited from scikit-learn.

``score`` and the metadata-routing methods (``set_fit_request`` and the
like) come from scikit-learn's mixins, and their docstrings point into
scikit-learn's own documentation (``:ref:`metadata_routing```, the
glossary). This build has no intersphinx, so that it needs no network; these
few targets become plain links to scikit-learn's site instead of warnings.
"""

from docutils import nodes

SKLEARN_DOCS = "https://scikit-learn.org/stable/"

# (role, target) -> page of scikit-learn's documentation.
TARGETS = {
    ("ref", "metadata_routing"): "metadata_routing.html",
    ("ref", "accuracy_score"): "modules/model_evaluation.html#accuracy-score",
    ("ref", "r2_score"): "modules/model_evaluation.html#r2-score",
    ("term", "meta-estimator"): "glossary.html#term-meta-estimator",
}


def _link_to_sklearn(app, env, node, contnode):
    page = TARGETS.get((node.get("reftype"), node.get("reftarget", "").lower()))
    if node.get("refdomain") != "std" or page is None:
        return None
    link = nodes.reference("", "", internal=False, refuri=SKLEARN_DOCS + page)
    link.append(contnode)
    return link


def setup(app):
    app.connect("missing-reference", _link_to_sklearn)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
