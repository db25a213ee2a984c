"""global vs local pipeline."""
from . import pipeline
