"""c2w-ray: one Ray task per prompt, each running the c2w binary; results in
the layout `c2w batch` writes. See dist/ray/README.md."""

from .driver import main, run_item

__all__ = ["main", "run_item"]
