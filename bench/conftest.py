"""Make ``zi_core`` (in-place build) and the bench helpers importable for `pytest bench/`."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
try:
    import zi_core  # noqa: F401
except ImportError:  # running from a source tree built in place
    sys.path.insert(0, os.path.dirname(HERE))
