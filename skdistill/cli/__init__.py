"""The command-line main job (``skdistill compare``, ``skdistill sweep``).
The library never imports it."""
