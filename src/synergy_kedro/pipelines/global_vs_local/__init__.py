"""global vs local pipeline."""
from . import pipeline

__all__ = ["pipeline"]
