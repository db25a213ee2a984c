"""modelling pipeline."""
from . import pipeline
