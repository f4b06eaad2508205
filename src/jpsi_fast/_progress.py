"""Progress bars for long work (tqdm, optional: without it nothing is shown)."""
from __future__ import annotations

import sys

#: work units (evaluations, rows, labels x 200) above which a bar is shown automatically on a terminal
AUTO_PROGRESS_WORK = 5_000_000


def progress_bar(total, desc, progress=None, work=0, unit="itn"):
    """A tqdm bar or None. ``progress``: True / False, or None = automatic (shown for ``work`` >=
    AUTO_PROGRESS_WORK when stderr is a terminal)."""
    if progress is None:
        progress = work >= AUTO_PROGRESS_WORK and sys.stderr.isatty()
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit=unit, leave=False)
