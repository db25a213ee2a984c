"""ingestion pipeline."""
from . import pipeline
