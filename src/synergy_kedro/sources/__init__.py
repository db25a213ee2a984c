"""Data sources, each ending as the canonical (site, time) Dataset.

One module per source layout: :mod:`.camels_us` (CAMELS-US published files), :mod:`.caravan`
(Caravan CSV/netCDF), :mod:`.gages2` (GAGES-II tables attached to a Dataset by USGS id),
:mod:`.smap_csv` (hydroDL's SMAP database), :mod:`.smap_l3`, :mod:`.nldas` and
:mod:`.static_layers` (SMAP L3 granules, NLDAS-2 forcing and statics, put together per pixel by
:mod:`.smap_assembly`); :mod:`.virtual_conus` generates the embedded dataset. Shared assembly
(daily axis, float32, units, required coordinates) is in :mod:`.assemble`; every reader raises
:class:`SourceDataError` naming the file and what to do. :mod:`.plausibility` masks missing-value
codes and implausible values of any source at ingestion. Region labels are filled later by
:mod:`synergy_kedro.regions.membership`.
"""

from synergy_kedro.sources.camels_us import read_camels_us
from synergy_kedro.sources.caravan import read_caravan
from synergy_kedro.sources.errors import SourceDataError
from synergy_kedro.sources.gages2 import attach_gages2, read_gages2

__all__ = ["SourceDataError", "attach_gages2", "read_camels_us", "read_caravan", "read_gages2"]
