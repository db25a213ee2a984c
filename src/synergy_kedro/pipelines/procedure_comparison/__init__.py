"""The first experiment's reports under both training procedures, side by side."""

from . import pipeline

__all__ = ["pipeline"]
