"""Kedro datasets this project needs and kedro-datasets does not ship (netCDF, PyTorch files, raw layouts)."""

from .checkpoint_store import CheckpointStoreDataset
from .raw_sources import (
                          CamelsUSDataset,
                          CaravanDataset,
                          EcoregionPolygonsDataset,
                          Gages2Dataset,
                          NldasDataset,
                          SmapCsvDataset,
                          SmapL3Dataset,
                          StaticGridDataset,
                          StaticTableDataset,
)
from .source_table import SourceTableDataset
from .torch_model import TorchModelDataset
from .xarray_netcdf import XarrayNetCDFDataset

__all__ = ["CamelsUSDataset", "CaravanDataset", "CheckpointStoreDataset", "EcoregionPolygonsDataset", "Gages2Dataset",
           "NldasDataset", "SmapCsvDataset", "SmapL3Dataset", "SourceTableDataset", "StaticGridDataset", "StaticTableDataset",
           "TorchModelDataset", "XarrayNetCDFDataset"]
