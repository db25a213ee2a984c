"""partitioning pipeline."""
from . import pipeline
