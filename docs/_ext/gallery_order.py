"""Order of the examples in the gallery.

The gallery lists the examples from the most basic to the most specialised:
first distilling one classifier and the experiment the project reproduces,
then scikit-learn's tools, then transfer data, regression and shipping the
student, and last the examples about speed, metadata routing and data that
does not fit in memory.
An example missing from the list is placed after the listed ones, by file name.
"""

import os

GALLERY_ORDER = [
    "plot_distill_digits.py",
    "plot_convergence.py",
    "plot_original_experiment.py",
    "plot_pipeline.py",
    "plot_grid_search.py",
    "plot_transfer_sets.py",
    "plot_compress_forest.py",
    "plot_forest_to_tree.py",
    "plot_tables_nass.py",
    "plot_distill_regression.py",
    "plot_ship_student.py",
    "plot_benchmark_classifiers.py",
    "plot_metadata_routing.py",
    "plot_out_of_core.py",
]


class GalleryOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``.

    sphinx-gallery instantiates it with the gallery's source directory and
    calls it with each example's file name.
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __repr__(self):
        # A stable repr: Sphinx compares configuration values between builds.
        return f"<{type(self).__name__}: {GALLERY_ORDER}>"

    def __call__(self, filename):
        name = os.path.basename(filename)
        if name in GALLERY_ORDER:
            return (GALLERY_ORDER.index(name), name)
        return (len(GALLERY_ORDER), name)
