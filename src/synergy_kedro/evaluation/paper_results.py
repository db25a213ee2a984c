"""The numbers Fang et al. report, to set our results beside them.

Fang, K., Kifer, D., Lawson, K., Feng, D., Shen, C. (2022). The data synergy effects of
time-series deep learning models in hydrology. Water Resources Research 58, e2021WR029583.
Values as summarised in the project brief (first experiment: CONUS SMAP pixels and USGS basins;
second experiment: the direction of the effect across ROIs).
"""

from __future__ import annotations

#: First experiment, pooled over all sites: global (unified) vs local (regional) models.
GLOBAL_VS_LOCAL: dict[str, dict[str, float | str]] = {
    "soil_moisture": {
        "RMSE_global": 0.032, "RMSE_local": 0.038, "RMSE_statistic": "mean",
        "R_global": 0.82, "R_local": 0.75, "R_statistic": "mean",
        "RMSE_share_global_better": 0.87, "R_share_global_better": 0.95,
    },
    "streamflow": {
        "NSE_global": 0.73, "NSE_local": 0.65, "NSE_statistic": "median",
        "NSE_share_global_better": 0.81,
    },
}
