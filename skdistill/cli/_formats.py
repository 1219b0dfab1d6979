"""How the reports write bytes and milliseconds."""


def format_bytes(n_bytes):
    """``"512 B"`` below a kibibyte, ``"12 KiB"`` below a mebibyte,
    ``"3.4 MiB"`` above."""
    if n_bytes < 1024:
        return f"{n_bytes} B"
    if n_bytes < 2**20:
        return f"{n_bytes / 1024:.0f} KiB"
    return f"{n_bytes / 2**20:.1f} MiB"


def latency_cell(latency):
    """Milliseconds, median and 99th percentile: ``"3.71 (3.92)"``."""
    digits = 3 if latency["median"] < 1 else 2
    return f"{latency['median']:.{digits}f} ({latency['p99']:.{digits}f})"
