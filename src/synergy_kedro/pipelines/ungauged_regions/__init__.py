"""ungauged regions pipeline."""
from . import pipeline

__all__ = ["pipeline"]
