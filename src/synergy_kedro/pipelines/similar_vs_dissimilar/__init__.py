"""similar vs dissimilar pipeline."""
from . import pipeline
