"""Kedro datasets this project needs and kedro-datasets does not ship (netCDF, PyTorch files)."""

from .torch_model import TorchModelDataset
from .xarray_netcdf import XarrayNetCDFDataset

__all__ = ["TorchModelDataset", "XarrayNetCDFDataset"]
