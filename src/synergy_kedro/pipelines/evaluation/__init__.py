"""evaluation pipeline."""
from . import pipeline

__all__ = ["pipeline"]
