"""The Keras training layer: losses, objectives, settings, the stopping rule,
Keras data and the reusable compiled trainers. Imports only ``utils``."""
