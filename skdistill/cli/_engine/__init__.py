"""The experiment engine behind ``skdistill compare`` and ``skdistill sweep``.

One run is an :class:`Experiment` (its settings, one default each, from a
configuration: digits, the original notebook's MNIST experiment, or the
user's table) applied to a :class:`Dataset`. For each seed the engine draws
the rows (:mod:`._data`), fits the teacher, every student in every way and
scikit-learn's alternatives (:mod:`._fits`, with the presets of
:mod:`._models`), measures every model the same way (:mod:`._measure`:
scores by task, one latency timer, size, bytes, the shipped ONNX graph), and
sums the seeds up (:mod:`._summary`: mean ± sd, retention, paired intervals
and their sentence) into one ``report.json`` schema that one writer turns
into ``report.md`` and its figures (:mod:`._report`).
"""
