"""The distillation steps of ``fit``: training rows and synthetic transfer
rows, the teacher pass and its cache, and the targets of each task. Imports
``teachers``, ``students``, ``training`` and ``utils``."""
