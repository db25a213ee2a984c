"""similar vs dissimilar pipeline."""
from . import pipeline

__all__ = ["pipeline"]
