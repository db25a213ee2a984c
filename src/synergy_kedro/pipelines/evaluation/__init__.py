"""evaluation pipeline."""
from . import pipeline
