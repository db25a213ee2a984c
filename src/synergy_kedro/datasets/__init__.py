"""Kedro datasets this project needs and kedro-datasets does not ship (netCDF, PyTorch files, raw layouts)."""

from .checkpoint_store import CheckpointStoreDataset
from .raw_sources import CamelsUSDataset, CaravanDataset, EcoregionPolygonsDataset, Gages2Dataset, SmapCsvDataset
from .torch_model import TorchModelDataset
from .xarray_netcdf import XarrayNetCDFDataset

__all__ = ["CheckpointStoreDataset", "CamelsUSDataset", "CaravanDataset", "EcoregionPolygonsDataset", "Gages2Dataset", "SmapCsvDataset",
           "TorchModelDataset", "XarrayNetCDFDataset"]
