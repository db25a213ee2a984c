"""feature engineering pipeline."""
from . import pipeline
