"""Students: Keras builders, scikit-learn students and their targets, and the
fitter of each kind. Imports ``training`` and ``utils``."""
