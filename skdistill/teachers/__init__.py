"""Teachers of every kind behind one interface (``as_teacher``), their output
checks and out-of-fold outputs. Imports only ``utils``."""
