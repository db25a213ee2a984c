r"""Virtual CONUS: a seeded, download-free hydrology dataset whose truth is known.

:func:`generate_virtual_conus` places synthetic sites inside the real EPA level-III ecoregion
hierarchy (:func:`synergy_kedro.regions.hierarchy.level3_hierarchy`), gives them a plausible climate and
static attributes, drives a stochastic weather generator, and runs two small conceptual models
to produce soil-moisture and streamflow "observations" with realistic gaps. The models'
parameters depend on the static attributes the LSTM sees **and** on latent level-I/II/III
regional effects it does not see, so sites of the same region share hidden behaviour: exactly the
situation in which pooling data across regions (Fang et al.'s "data synergy") can help or hurt.
Because everything is generated, the experiment is a controlled test.

Everything below is deterministic: the same arguments give a bit-identical Dataset.

Notation: :math:`\varphi` latitude [°N], :math:`\lambda` longitude [°E, negative in CONUS],
:math:`t` day index, :math:`J` day of year (1–366), :math:`\sigma(x)=1/(1+e^{-x})` the logistic
function, :math:`\mathcal N(0,s)` a normal draw with standard deviation ``s``.

Random numbers
--------------
Every component draws from its own generator
``np.random.default_rng(SeedSequence(seed, spawn_key=(crc32(name),)))``, so adding a component
never changes the draws of another. Regional effects are drawn for *every* code of the packaged
level-III table (sorted by code), so a region's effects do not depend on which sites exist.

Site placement
--------------
For each sub-region A–R (:data:`synergy_kedro.regions.hierarchy.SUBREGIONS`) exactly ``sites_per_subregion``
sites are allocated to its level-III regions by systematic sampling with weights
:math:`w_j=\sqrt{\text{area}_j}`: with cumulative normalised weights :math:`W_j` and one uniform
:math:`U`, site :math:`k=0..n-1` goes to the first region with :math:`W_j > (k+U)/n` (every region
gets :math:`\lfloor n w_j/\sum w\rfloor` or one more site; the count per sub-region is exact).
For each code in ``focus_l3_codes`` (duplicates ignored, order kept) ``sites_per_focus_l3`` more
sites are put in that level-III region. Coordinates are the region's representative point plus
jitter :math:`\delta\varphi=\mathcal N(0,s)/111.2`, :math:`\delta\lambda=\mathcal N(0,s)/(111.2\cos\varphi_0)`
with :math:`s=0.3\sqrt{\text{area}}` km, clipped to 25–49 °N, 124.5–67.5 °W (so a site may fall
slightly outside its region's polygon; its ``eco_l*`` codes are what define membership).
Site order: sub-regions A→R (level-III codes in natural order inside each), then the focus
extras in the order given; ids ``vc0000``, ``vc0001``, ...

Hierarchical draws
------------------
A regional effect for a quantity ``q`` with scales :math:`(s_1,s_2,s_3)` is
:math:`e_q = a^{(1)}_{\text{L1}} + a^{(2)}_{\text{L2}} + a^{(3)}_{\text{L3}}`,
:math:`a^{(i)}\sim\mathcal N(0,s_i)` drawn once per code; site noise :math:`\epsilon_q\sim\mathcal N(0,s_0)`.
Scales are given as ``(s1, s2, s3; s0)`` below.

Climate (smooth in latitude/longitude)
--------------------------------------
Helper fields (dimensionless)::

    east  = tanh((λ + 98) / 7)                                   # +1 humid east, −1 west
    sw    = exp(−((λ + 112)/8)² − ((φ − 37)/8)²)                  # arid interior south-west
    coast = exp(−((λ + 123.5)/2.5)²) · σ((φ − 40)/1.5)            # wet Pacific north-west coast
    se    = clip((37 − φ)/8, −1, 1) · (east + 1)/2                # wetter Gulf/south-east
    cont  = clip(min((λ + 124.5)/12, (−72 − λ)/12), 0, 1)        # continentality
    mtn   = (topo − 150) / 1900                                   # 0 plains … ~1 high terrain

Topography [m] (before regional effects)::

    topo = 150 + 1900·exp(−((λ+109)/7.5)²)·clip((φ−28)/5, 0, 1)           # Rockies, plateaus
               + 1100·exp(−((λ+120.5)/1.3)²)·clip((φ−35)/3, 0, 1)         # Sierra, Cascades
               + 600·exp(−((λ+81)/2.5)²)·clip((φ−34)/2, 0, 1)·clip((45−φ)/2, 0, 1)  # Appalachians

Mean annual precipitation :math:`P_a` [mm/yr] and temperature :math:`T_a` [°C], with
:math:`z` = site elevation [km]::

    ln P_a = ln 700 + 0.45·east + 0.25·se − 1.0·sw + 1.4·coast + 0.25·z + e_P + ε_P    (0, 0, 0.10; 0.06)
    T_a    = 25.5 − 0.85(φ − 26) − 5.0·z + 3.0·exp(−((λ+123)/4)²) + 2.5·sw + e_T + ε_T  (0, 0, 0.6; 0.3)

Seasonal temperature half-range :math:`A_T = 3 + 0.28(\varphi-26) + 7\,\text{cont}` [°C];
climatological dryness :math:`D = \text{clip}(\ln(1100/P_a)/\ln 6, 0, 1)` [–].

Static attributes (site), float32
---------------------------------
::

    elevation  [m]    = clip(topo · exp(e + ε), 2, 4000)                       (0.15, 0.2, 0.3; 0.25)
    slope      [m/km] = clip(3 · exp(1.5·mtn + e + ε), 0.5, 300)               (0.3, 0.4, 0.5; 0.5)
    sand_frac  [–]    = σ(−0.2 + 0.8·D + e + ε)                                 (0.3, 0.4, 0.6; 0.5)
    forest_frac[–]    = σ(2.2·log2(P_a/650) − 0.8·D + e + ε)                    (0.3, 0.4, 0.6; 0.6)
    soil_capacity[mm] = clip(150 · exp(−0.9(sand−0.5) + 0.4·forest − 0.25 ln(slope/5) + e + ε), 20, 600)
                                                                                (0.1, 0.15, 0.2; 0.2)
    area       [km2]  = clip(250 · exp(e + ε), 5, 5000)                         (0.1, 0.2, 0.3; 1.0)
    aridity    [–]    = Σ_t PET / Σ_t P   over the generated (noise-free) forcing of the whole period

Weather generator (dynamic inputs, (site, time), float32)
---------------------------------------------------------
*Precipitation seasonality.* A winter maximum (peak day 15) on the Pacific side and a summer
maximum (peak day 170) elsewhere, strongest in the Great Plains, combined as complex amplitudes::

    w_west = σ((−117.5 − λ)/1.5);  plains = exp(−((λ + 100)/9)²)
    c      = 0.85·w_west·e^{iθ(15)} + (1 − w_west)(0.1 + 0.5·plains)·e^{iθ(170)},  θ(d) = 2π d/365.25
    a_P    = min(|c|, 0.9),  J_P = arg(c)·365.25/2π,  s_P(J) = cos(2π (J − J_P)/365.25)

*Occurrence*: two-state Markov chain with wet-day fraction
:math:`\pi(J)=\text{clip}(\pi_a(1+0.6a_Ps_P), 0.01, 0.95)`, :math:`\pi_a=\text{clip}(0.06+0.22P_a/1000, 0.05, 0.6)`
and lag-1 occurrence autocorrelation :math:`r=0.35`:
:math:`p_{01}=\pi(1-r)` (wet after dry), :math:`p_{11}=\pi(1-r)+r` (wet after wet); the first day is
wet with probability :math:`\pi`.

*Intensity* on wet days: :math:`P=\mu(J)\,G/k`, :math:`G\sim\Gamma(k=0.75,1)`,
:math:`\mu(J)=\mu_a(1+0.4a_Ps_P)`, :math:`\mu_a=P_a/(365.25\pi_a)`, so that the expected annual
total is :math:`\approx P_a(1+0.12a_P^2)`. ``prcp`` [mm/d].

*Temperature* ``tmean`` [°C]: :math:`T=T_a+A_T\cos(2\pi(J-200)/365.25)+\sigma_T(J)\,z_t`, with
:math:`z_t=0.75z_{t-1}+\sqrt{1-0.75^2}\,\eta_t`, :math:`z_0=\eta_0`, :math:`\eta\sim\mathcal N(0,1)`
(unit-variance AR(1)) and
:math:`\sigma_T=(1.5+0.08(\varphi-26)+1.5\,\text{cont})(1+0.3\cos(2\pi(J-15)/365.25))`.

*Radiation* ``srad`` [W m-2, daily mean]: extraterrestrial radiation (FAO-56 eq. 21–25)
:math:`R_a=\frac{24\cdot60}{\pi}G_{sc}d_r[\omega_s\sin\varphi\sin\delta+\cos\varphi\cos\delta\sin\omega_s]`
[MJ m-2 d-1], :math:`G_{sc}=0.0820`, :math:`d_r=1+0.033\cos(2\pi J/365)`,
:math:`\delta=0.409\sin(2\pi J/365-1.39)`, :math:`\omega_s=\arccos(-\tan\varphi\tan\delta)`;
:math:`R_s=0.75R_a\tau`, :math:`\tau=\text{clip}((1-c)e^{\mathcal N(0,0.08)},0.1,1)` with cloud
reduction :math:`c=0.10+0.25(1-D)` on dry days and :math:`c=0.55` on wet days;
``srad`` = :math:`R_s\cdot10^6/86400`.

*PET* ``pet`` [mm/d], Hargreaves (1975) radiation form:
:math:`\text{PET}=\max(0,\;0.0135\,(T+17.8)\,R_s/\lambda_v)`, :math:`\lambda_v=2.45` MJ kg-1.

*Vapour pressure* ``vp`` [hPa]: dew-point depression
:math:`\Delta=\max(0,(1.5+9D)(1-0.6\,\text{wet})+\mathcal N(0,1))` [°C],
:math:`T_d=T-\Delta`, :math:`e=6.108\exp(17.27T_d/(T_d+237.3))`.

Latent (hidden) parameters
--------------------------
Not in the Dataset; each depends on statics and a regional effect the model cannot see::

    m_fc   [–]        = exp(e + ε)                                            (0.2, 0.2, 0.25; 0.1)
    k_et   [–]        = clip((0.75 + 0.35·forest)·exp(e + ε), 0.3, 1.3)        (0.08, 0.08, 0.1; 0.03)
    β      [–]        = 1.5 + 3.5·σ(0.5 + 2(sand − 0.5) + e + ε)                (0.3, 0.3, 0.4; 0.1)
    k_perc [1/d]      = clip(0.03·exp(1.0(sand − 0.5) + e + ε), 0.002, 0.2)    (0.3, 0.3, 0.4; 0.1)
    k_f    [1/d]      = clip(0.5·exp(0.3 ln(slope/5) − 0.2 ln(area/250) + e + ε), 0.1, 0.95)
                                                                                (0.15, 0.15, 0.2; 0.05)
    k_b    [1/d]      = clip(0.03·exp(0.2 ln(slope/5) − 0.15 ln(area/250) + e + ε), 0.003, 0.3)
                                                                                (0.3, 0.3, 0.4; 0.1)
    ddf    [mm/°C/d]  = clip(2.5·exp(0.2(1 − forest) + e + ε), 1, 6)            (0.1, 0.15, 0.2; 0.05)
    θ_s    [m3 m-3]   = clip(0.50 − 0.15·sand + 0.03(e + ε), 0.30, 0.50)        (0.5, 0.5, 0.6; 0.3)
    θ_r    [m3 m-3]   = 0.02 + 0.05(1 − sand)
    k_top  [–]        = clip(0.3·exp(e + ε), 0.15, 1.2)                         (0.1, 0.15, 0.2; 0.05)
    k_d    [1/d]      = clip(0.25·exp(1.0(sand − 0.5) + e + ε), 0.05, 0.95)     (0.15, 0.15, 0.2; 0.05)

Conceptual models (daily, explicit, vectorised over sites)
----------------------------------------------------------
Both models share one degree-day snowpack (SWE [mm]): snow fraction
:math:`f_s=\text{clip}((2-T)/3,0,1)` (all snow below −1 °C, all rain above 2 °C),
:math:`\text{SWE}\mathrel{+}=f_sP`, melt :math:`M=\min(\text{SWE},\,\text{ddf}\cdot\max(T,0))`,
liquid input :math:`W=(1-f_s)P+M` [mm/d].

*Soil moisture* (one bucket for SMAP's top layer, depth :math:`z_{top}=50` mm; storage
:math:`S` [mm] above residual, capacity :math:`S_{max}=(\theta_s-\theta_r)z_{top}`), each day:
infiltration :math:`I=\min(W,S_{max}-S)` (the rest is rejected), :math:`S\mathrel{+}=I`;
evaporation :math:`E=k_{top}\,\text{PET}\,S/S_{max}`; drainage
:math:`D_r=k_d\,S\,(S/S_{max})^2`; :math:`S\leftarrow\max(S-E-D_r,0)`;
volumetric soil moisture :math:`\theta=\theta_r+S/z_{top}` ∈ [θ_r, θ_s] ⊂ [0.02, 0.5].
This bucket is a diagnostic of the top layer only: it shares the snowpack and forcing with the
streamflow model below but not its storages.

*Streamflow* (root-zone bucket :math:`S_r` [mm] of capacity :math:`C=m_{fc}\cdot\text{soil\_capacity}`,
a fast linear reservoir :math:`F` and a groundwater linear reservoir :math:`G` [mm]), each day, in order:

1. variable-source-area (saturation-excess) quick flow :math:`Q_{vsa}=W\,(S_r/C)^\beta` (wetness at
   the start of the day), :math:`S_r\mathrel{+}=W-Q_{vsa}`;
2. saturation overflow :math:`Q_{sat}=\max(S_r-C,0)`, :math:`S_r\mathrel{-}=Q_{sat}`;
3. evapotranspiration :math:`ET=\min(k_{et}\,\text{PET}\,\min(S_r/(L_pC),1),\;S_r)` with
   :math:`L_p=0.6` (HBV form: ∝ PET·S/Smax below 60 % of capacity), :math:`S_r\mathrel{-}=ET`;
4. percolation :math:`R=k_{perc}\,S_r\,(S_r/C)^4`, :math:`S_r\mathrel{-}=R`;
5. :math:`F\mathrel{+}=Q_{vsa}+Q_{sat}`, :math:`Q_f=k_fF`, :math:`F\mathrel{-}=Q_f`;
   :math:`G\mathrel{+}=R`, :math:`Q_b=k_bG`, :math:`G\mathrel{-}=Q_b`;
6. streamflow :math:`Q=Q_f+Q_b` [mm/d].

Water is conserved: :math:`\sum P=\sum(Q+ET)+\Delta(\text{SWE}+S_r+F+G)`. With the default seed
the runoff ratio ΣQ/ΣP spans ≈ 0.02–0.75 (5–95 %: 0.05–0.6), from the arid south-west to the
Pacific north-west, and falls with aridity (Spearman ρ ≈ −0.8 across sites).

States start at SWE = 0, :math:`S=S_{max}/2`, :math:`S_r=C/2`, F = G = 0 and are spun up by running the
first ``min(365, n_days)`` days once before the recorded run.

Observations (targets, (site, time), float32)
---------------------------------------------
``streamflow`` [mm/d] = :math:`Q\,e^{\mathcal N(0,0.05)}` (rating-curve error). Gaps: per site,
:math:`N\sim\text{Poisson}(1.2\,n_{years})` runs, each starting on a uniform day with a uniform
length of 1–15 days (≈ 2–3 % missing; runs may overlap or be cut at the end).

``soil_moisture`` [m3 m-3] = clip(:math:`\theta+\mathcal N(0,0.015)`, 0.015, 0.55). Observed on a
SMAP-like revisit: per site a phase in {0, 1, 2} days and a probability :math:`p_2\sim U(0.3,0.7)`;
successive revisit intervals are 2 days with probability :math:`p_2`, else 3 days. Revisits are
additionally dropped at random with probability 0.05, and whenever ``tmean`` < 0 °C (frozen
soil, no retrieval). Everything else is NaN (≈ 35–40 % of days observed where unfrozen).

Hidden truth
------------
The private ``_simulate(...)`` (same arguments, positional) returns ``(dataset, truth)`` where
``truth`` holds the latent parameters above (per site; ``capacity`` = C) and the noise-free, gap-free
``theta`` and ``streamflow`` (site, time), for controlled experiments; the public function drops it.

Time axis
---------
Daily, ``n_years * 365`` days starting at ``start`` (a fixed length, so the end date drifts one
day earlier per leap day covered), ``datetime64[ns]``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from scipy.signal import lfilter
from scipy.special import expit

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.regions.hierarchy import SUBREGIONS, level3_hierarchy, subregions_of

__all__ = ["generate_virtual_conus"]

#: CONUS bounding box used to clip jittered coordinates (degrees).
_LAT_BOUNDS = (25.0, 49.0)
_LON_BOUNDS = (-124.5, -67.5)
_KM_PER_DEG = 111.2
_DAYS_PER_YEAR = 365.25
_Z_TOP_MM = 50.0
_LP = 0.6  # root-zone wetness above which ET = k_et * PET

_DYNAMIC_ATTRS = {
    "prcp": ("mm/d", "daily precipitation"),
    "tmean": ("degC", "daily mean air temperature"),
    "srad": ("W m-2", "daily mean incoming shortwave radiation"),
    "pet": ("mm/d", "potential evapotranspiration (Hargreaves radiation formula)"),
    "vp": ("hPa", "daily mean water vapour pressure"),
}
_STATIC_ATTRS = {
    "aridity": ("-", "aridity index, mean PET / mean precipitation"),
    "soil_capacity": ("mm", "plant-available water capacity of the root zone"),
    "sand_frac": ("-", "sand fraction of the soil"),
    "forest_frac": ("-", "forest cover fraction"),
    "slope": ("m/km", "mean catchment slope"),
    "elevation": ("m", "mean elevation"),
    "area": ("km2", "catchment area"),
}
_TARGET_ATTRS = {
    "streamflow": ("mm/d", "observed streamflow per unit catchment area"),
    "soil_moisture": ("m3 m-3", "observed volumetric soil moisture of the top 5 cm (SMAP-like)"),
}


# --------------------------------------------------------------------------------------------
# random numbers and hierarchy helpers
# --------------------------------------------------------------------------------------------
def _rng(seed: int, name: str) -> np.random.Generator:
    """Independent generator of one named component."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(code).split("."))


class _Hierarchy:
    """Eco codes of the sites plus the full code lists of the table, for regional effects."""

    def __init__(self, table: pd.DataFrame, l1: np.ndarray, l2: np.ndarray, l3: np.ndarray) -> None:
        self.sites = (l1, l2, l3)
        self.codes = tuple(
            sorted(pd.unique(table[col].astype(str)), key=_code_key) for col in ("na_l1code", "na_l2code", "na_l3code")
        )

    def effect(self, seed: int, name: str, scales: tuple[float, float, float, float]) -> np.ndarray:
        """Level-I + level-II + level-III effect + site noise of quantity ``name`` at every site."""
        rng = _rng(seed, "region/" + name)
        total = np.zeros(len(self.sites[0]))
        for codes, site_codes, scale in zip(self.codes, self.sites, scales[:3], strict=False):
            draws = dict(zip(codes, rng.normal(0.0, 1.0, len(codes)) * scale, strict=False))
            total += np.array([draws[c] for c in site_codes])
        noise = _rng(seed, "site/" + name).normal(0.0, 1.0, len(total)) * scales[3]
        return total + noise


# --------------------------------------------------------------------------------------------
# sites
# --------------------------------------------------------------------------------------------
def _place_sites(
    table: pd.DataFrame, n_sub: int, n_focus: int, focus: list[str], seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of ``table`` for every site, and jittered lat/lon."""
    letters = subregions_of(table["na_l3code"]).to_numpy()
    rng = _rng(seed, "placement/allocation")
    rows: list[int] = []
    for letter in SUBREGIONS:
        members = [i for i in range(len(table)) if letters[i] == letter]
        members.sort(key=lambda i: _code_key(table["na_l3code"].iat[i]))
        u = rng.random()
        if n_sub == 0 or not members:
            continue
        w = np.sqrt(table["area_km2"].to_numpy(float)[members])
        cum = np.cumsum(w) / w.sum()
        pick = np.minimum(np.searchsorted(cum, (np.arange(n_sub) + u) / n_sub, side="right"), len(members) - 1)
        rows.extend(members[j] for j in pick)
    codes = table["na_l3code"].astype(str).tolist()
    for code in focus:
        rows.extend([codes.index(code)] * n_focus)
    rows_arr = np.asarray(rows, dtype=int)

    lat0 = table["lat"].to_numpy(float)[rows_arr]
    lon0 = table["lon"].to_numpy(float)[rows_arr]
    s_km = 0.3 * np.sqrt(table["area_km2"].to_numpy(float)[rows_arr])
    jit = _rng(seed, "placement/jitter").normal(0.0, 1.0, (2, len(rows_arr)))
    lat = np.clip(lat0 + jit[0] * s_km / _KM_PER_DEG, *_LAT_BOUNDS)
    lon = np.clip(lon0 + jit[1] * s_km / (_KM_PER_DEG * np.cos(np.deg2rad(lat0))), *_LON_BOUNDS)
    return rows_arr, lat, lon


# --------------------------------------------------------------------------------------------
# climate and statics
# --------------------------------------------------------------------------------------------
def _fields(lat: np.ndarray, lon: np.ndarray) -> dict[str, np.ndarray]:
    east = np.tanh((lon + 98.0) / 7.0)
    sw = np.exp(-(((lon + 112.0) / 8.0) ** 2) - ((lat - 37.0) / 8.0) ** 2)
    coast = np.exp(-(((lon + 123.5) / 2.5) ** 2)) * expit((lat - 40.0) / 1.5)
    se = np.clip((37.0 - lat) / 8.0, -1.0, 1.0) * (east + 1.0) / 2.0
    cont = np.clip(np.minimum((lon + 124.5) / 12.0, (-72.0 - lon) / 12.0), 0.0, 1.0)
    topo = (
        150.0
        + 1900.0 * np.exp(-(((lon + 109.0) / 7.5) ** 2)) * np.clip((lat - 28.0) / 5.0, 0.0, 1.0)
        + 1100.0 * np.exp(-(((lon + 120.5) / 1.3) ** 2)) * np.clip((lat - 35.0) / 3.0, 0.0, 1.0)
        + 600.0
        * np.exp(-(((lon + 81.0) / 2.5) ** 2))
        * np.clip((lat - 34.0) / 2.0, 0.0, 1.0)
        * np.clip((45.0 - lat) / 2.0, 0.0, 1.0)
    )
    return {"east": east, "sw": sw, "coast": coast, "se": se, "cont": cont, "topo": topo, "mtn": (topo - 150.0) / 1900.0}


def _climate_and_statics(lat: np.ndarray, lon: np.ndarray, h: _Hierarchy, seed: int) -> dict[str, np.ndarray]:
    f = _fields(lat, lon)
    out: dict[str, np.ndarray] = {"cont": f["cont"]}
    elevation = np.clip(f["topo"] * np.exp(h.effect(seed, "elevation", (0.15, 0.2, 0.3, 0.25))), 2.0, 4000.0)
    z = elevation / 1000.0
    ln_p = (
        np.log(700.0) + 0.45 * f["east"] + 0.25 * f["se"] - 1.0 * f["sw"] + 1.4 * f["coast"] + 0.25 * z
        + h.effect(seed, "p_annual", (0.0, 0.0, 0.10, 0.06))
    )
    p_a = np.exp(ln_p)
    t_a = (
        25.5 - 0.85 * (lat - 26.0) - 5.0 * z + 3.0 * np.exp(-(((lon + 123.0) / 4.0) ** 2)) + 2.5 * f["sw"]
        + h.effect(seed, "t_annual", (0.0, 0.0, 0.6, 0.3))
    )
    dryness = np.clip(np.log(1100.0 / p_a) / np.log(6.0), 0.0, 1.0)
    slope = np.clip(3.0 * np.exp(1.5 * f["mtn"] + h.effect(seed, "slope", (0.3, 0.4, 0.5, 0.5))), 0.5, 300.0)
    sand = expit(-0.2 + 0.8 * dryness + h.effect(seed, "sand_frac", (0.3, 0.4, 0.6, 0.5)))
    forest = expit(2.2 * np.log2(p_a / 650.0) - 0.8 * dryness + h.effect(seed, "forest_frac", (0.3, 0.4, 0.6, 0.6)))
    soil_capacity = np.clip(
        150.0
        * np.exp(
            -0.9 * (sand - 0.5) + 0.4 * forest - 0.25 * np.log(slope / 5.0)
            + h.effect(seed, "soil_capacity", (0.1, 0.15, 0.2, 0.2))
        ),
        20.0,
        600.0,
    )
    area = np.clip(250.0 * np.exp(h.effect(seed, "area", (0.1, 0.2, 0.3, 1.0))), 5.0, 5000.0)
    out.update(
        p_a=p_a, t_a=t_a, dryness=dryness, amp_t=3.0 + 0.28 * (lat - 26.0) + 7.0 * f["cont"],
        elevation=elevation, slope=slope, sand_frac=sand, forest_frac=forest, soil_capacity=soil_capacity, area=area,
    )
    return out


def _latent(s: dict[str, np.ndarray], h: _Hierarchy, seed: int) -> dict[str, np.ndarray]:
    """Hidden model parameters: statics + regional effects the learner cannot see."""
    sand, forest = s["sand_frac"], s["forest_frac"]
    ln_slope, ln_area = np.log(s["slope"] / 5.0), np.log(s["area"] / 250.0)
    m_fc = np.exp(h.effect(seed, "latent/m_fc", (0.2, 0.2, 0.25, 0.1)))
    theta_s = np.clip(0.50 - 0.15 * sand + 0.03 * h.effect(seed, "latent/theta_s", (0.5, 0.5, 0.6, 0.3)), 0.30, 0.50)
    return {
        "capacity": m_fc * s["soil_capacity"],
        "k_et": np.clip((0.75 + 0.35 * forest) * np.exp(h.effect(seed, "latent/k_et", (0.08, 0.08, 0.1, 0.03))), 0.3, 1.3),
        "beta": 1.5 + 3.5 * expit(0.5 + 2.0 * (sand - 0.5) + h.effect(seed, "latent/beta", (0.3, 0.3, 0.4, 0.1))),
        "k_perc": np.clip(
            0.03 * np.exp(1.0 * (sand - 0.5) + h.effect(seed, "latent/k_perc", (0.3, 0.3, 0.4, 0.1))), 0.002, 0.2
        ),
        "k_f": np.clip(
            0.5 * np.exp(0.3 * ln_slope - 0.2 * ln_area + h.effect(seed, "latent/k_f", (0.15, 0.15, 0.2, 0.05))), 0.1, 0.95
        ),
        "k_b": np.clip(
            0.03 * np.exp(0.2 * ln_slope - 0.15 * ln_area + h.effect(seed, "latent/k_b", (0.3, 0.3, 0.4, 0.1))), 0.003, 0.3
        ),
        "ddf": np.clip(2.5 * np.exp(0.2 * (1.0 - forest) + h.effect(seed, "latent/ddf", (0.1, 0.15, 0.2, 0.05))), 1.0, 6.0),
        "theta_s": theta_s,
        "theta_r": 0.02 + 0.05 * (1.0 - sand),
        "k_top": np.clip(0.3 * np.exp(h.effect(seed, "latent/k_top", (0.1, 0.15, 0.2, 0.05))), 0.15, 1.2),
        "k_d": np.clip(0.25 * np.exp(1.0 * (sand - 0.5) + h.effect(seed, "latent/k_d", (0.15, 0.15, 0.2, 0.05))), 0.05, 0.95),
    }


# --------------------------------------------------------------------------------------------
# weather generator (arrays are time-major: (n_days, n_sites))
# --------------------------------------------------------------------------------------------
def _extraterrestrial_radiation(doy: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """FAO-56 daily extraterrestrial radiation [MJ m-2 d-1], shape (n_days, n_sites)."""
    phi = np.deg2rad(lat)[None, :]
    ang = 2.0 * np.pi * doy[:, None] / 365.0
    dr = 1.0 + 0.033 * np.cos(ang)
    delta = 0.409 * np.sin(ang - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    return 24.0 * 60.0 / np.pi * 0.0820 * dr * (ws * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(ws))


def _weather(doy: np.ndarray, lat: np.ndarray, lon: np.ndarray, c: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    n_days, n_sites = len(doy), len(lat)
    theta = 2.0 * np.pi / _DAYS_PER_YEAR

    # precipitation seasonality: winter peak (Pacific) + summer peak (plains), as complex amplitudes
    w_west = expit((-117.5 - lon) / 1.5)
    plains = np.exp(-(((lon + 100.0) / 9.0) ** 2))
    amp = 0.85 * w_west * np.exp(1j * theta * 15.0) + (1.0 - w_west) * (0.1 + 0.5 * plains) * np.exp(1j * theta * 170.0)
    a_p = np.minimum(np.abs(amp), 0.9)
    s_p = np.cos(theta * doy[:, None] - np.angle(amp)[None, :])

    pi_a = np.clip(0.06 + 0.22 * c["p_a"] / 1000.0, 0.05, 0.6)
    mu_a = c["p_a"] / (_DAYS_PER_YEAR * pi_a)
    pi_d = np.clip(pi_a * (1.0 + 0.6 * a_p * s_p), 0.01, 0.95)
    mu_d = mu_a * (1.0 + 0.4 * a_p * s_p)
    r = 0.35
    p01, p11 = pi_d * (1.0 - r), pi_d * (1.0 - r) + r

    u = _rng(seed, "weather/occurrence").random((n_days, n_sites))
    wet = np.empty((n_days, n_sites), dtype=bool)
    wet[0] = u[0] < pi_d[0]
    for t in range(1, n_days):
        wet[t] = u[t] < np.where(wet[t - 1], p11[t], p01[t])
    k = 0.75
    amount = _rng(seed, "weather/intensity").gamma(k, 1.0, (n_days, n_sites)) * (mu_d / k)
    prcp = np.where(wet, amount, 0.0)

    # temperature: annual mean + seasonal cycle + unit AR(1) anomaly scaled by a seasonal sd
    phi_t = 0.75
    eta = _rng(seed, "weather/temperature").standard_normal((n_days, n_sites))
    x = eta * np.sqrt(1.0 - phi_t**2)
    x[0] = eta[0]
    z = lfilter([1.0], [1.0, -phi_t], x, axis=0)
    sd_t = (1.5 + 0.08 * (lat - 26.0) + 1.5 * c["cont"])[None, :] * (1.0 + 0.3 * np.cos(theta * (doy[:, None] - 15.0)))
    tmean = c["t_a"][None, :] + c["amp_t"][None, :] * np.cos(theta * (doy[:, None] - 200.0)) + sd_t * z

    # radiation, reduced by clouds (more on wet days)
    ra = _extraterrestrial_radiation(doy, lat)
    cloud = np.where(wet, 0.55, (0.10 + 0.25 * (1.0 - c["dryness"]))[None, :])
    tau = np.clip((1.0 - cloud) * np.exp(_rng(seed, "weather/radiation").normal(0.0, 0.08, (n_days, n_sites))), 0.1, 1.0)
    rs = 0.75 * ra * tau  # MJ m-2 d-1

    pet = np.maximum(0.0135 * (tmean + 17.8) * rs / 2.45, 0.0)

    depression = np.maximum(
        (1.5 + 9.0 * c["dryness"])[None, :] * (1.0 - 0.6 * wet)
        + _rng(seed, "weather/humidity").standard_normal((n_days, n_sites)),
        0.0,
    )
    t_dew = tmean - depression
    vp = 6.108 * np.exp(17.27 * t_dew / (t_dew + 237.3))
    return {"prcp": prcp, "tmean": tmean, "srad": rs * 1e6 / 86400.0, "pet": pet, "vp": vp}


# --------------------------------------------------------------------------------------------
# conceptual models
# --------------------------------------------------------------------------------------------
def _run_models(
    prcp: np.ndarray, tmean: np.ndarray, pet: np.ndarray, p: dict[str, np.ndarray], state: dict[str, np.ndarray], record: bool
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Snow + top-layer bucket + root-zone/fast/groundwater model; ``state`` is updated in place."""
    n_days, n_sites = prcp.shape
    swe, s_top, s_r, fast, gw = (state[k] for k in ("swe", "s_top", "s_r", "fast", "gw"))
    s_top_max = (p["theta_s"] - p["theta_r"]) * _Z_TOP_MM
    cap, beta, k_et, k_perc = p["capacity"], p["beta"], p["k_et"], p["k_perc"]
    k_f, k_b, ddf, k_top, k_d = p["k_f"], p["k_b"], p["ddf"], p["k_top"] / s_top_max, p["k_d"]
    theta = np.empty((n_days, n_sites)) if record else None
    flow = np.empty((n_days, n_sites)) if record else None
    snow_frac = np.clip((2.0 - tmean) / 3.0, 0.0, 1.0)
    snow = snow_frac * prcp
    rain = prcp - snow
    melt_pot = ddf * np.maximum(tmean, 0.0)
    for t in range(n_days):
        swe += snow[t]
        melt = np.minimum(swe, melt_pot[t])
        swe -= melt
        w = rain[t] + melt
        e_p = pet[t]
        # top-layer bucket (soil moisture)
        s_top += np.minimum(w, s_top_max - s_top)
        rel = s_top / s_top_max
        s_top -= k_top * e_p * s_top + k_d * s_top * rel * rel
        np.maximum(s_top, 0.0, out=s_top)
        # root zone → fast / groundwater reservoirs (streamflow)
        x = s_r / cap
        q_vsa = w * x**beta
        s_r += w - q_vsa
        q_sat = np.maximum(s_r - cap, 0.0)
        s_r -= q_sat
        s_r -= np.minimum(k_et * e_p * np.minimum(s_r / (_LP * cap), 1.0), s_r)
        x = s_r / cap
        perc = k_perc * s_r * x**4
        s_r -= perc
        fast += q_vsa + q_sat
        q_f = k_f * fast
        fast -= q_f
        gw += perc
        q_b = k_b * gw
        gw -= q_b
        if record:
            theta[t] = s_top
            flow[t] = q_f + q_b
    if record:
        theta = p["theta_r"] + theta / _Z_TOP_MM
    return theta, flow


# --------------------------------------------------------------------------------------------
# observation operators
# --------------------------------------------------------------------------------------------
def _smap_mask(tmean: np.ndarray, seed: int) -> np.ndarray:
    """(n_days, n_sites) True where soil moisture is observed."""
    n_days, n_sites = tmean.shape
    rng = _rng(seed, "observation/smap_revisit")
    phase = rng.integers(0, 3, n_sites)
    p2 = rng.uniform(0.3, 0.7, n_sites)
    n_visits = n_days // 2 + 2
    steps = np.where(rng.random((n_visits, n_sites)) < p2[None, :], 2, 3)
    days = phase[None, :] + np.concatenate([np.zeros((1, n_sites), int), np.cumsum(steps, axis=0)[:-1]])
    mask = np.zeros((n_days, n_sites), dtype=bool)
    ok = days < n_days
    mask[days[ok], np.broadcast_to(np.arange(n_sites), days.shape)[ok]] = True
    mask &= _rng(seed, "observation/smap_dropout").random((n_days, n_sites)) >= 0.05
    mask &= ~(tmean < 0.0)
    return mask


def _streamflow_gaps(n_days: int, n_sites: int, n_years: int, seed: int) -> np.ndarray:
    """(n_days, n_sites) True where streamflow is missing."""
    rng = _rng(seed, "observation/streamflow_gaps")
    counts = rng.poisson(1.2 * n_years, n_sites)
    site = np.repeat(np.arange(n_sites), counts)
    start = rng.integers(0, n_days, site.size)
    stop = np.minimum(start + rng.integers(1, 16, site.size), n_days)
    diff = np.zeros((n_days + 1, n_sites), dtype=np.int32)
    np.add.at(diff, (start, site), 1)
    np.add.at(diff, (stop, site), -1)
    return np.cumsum(diff, axis=0)[:n_days] > 0


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def _simulate(
    sites_per_subregion: int,
    sites_per_focus_l3: int,
    focus_l3_codes: Sequence[str],
    start: str,
    n_years: int,
    seed: int,
) -> tuple[xr.Dataset, dict[str, np.ndarray]]:
    """The Dataset plus the hidden truth (latent parameters and noise-free targets)."""
    if isinstance(focus_l3_codes, str):
        focus_l3_codes = [focus_l3_codes]
    seed, n_years = int(seed), int(n_years)
    sites_per_subregion, sites_per_focus_l3 = int(sites_per_subregion), int(sites_per_focus_l3)
    if seed < 0:
        raise ConfigurationError(f"ingestion.virtual_conus.seed must be a non-negative integer, got {seed}")
    if n_years < 1:
        raise ConfigurationError(f"ingestion.virtual_conus.n_years must be >= 1, got {n_years}")
    if sites_per_subregion < 0 or sites_per_focus_l3 < 0:
        raise ConfigurationError("ingestion.virtual_conus.sites_per_subregion and sites_per_focus_l3 must be >= 0")

    table = level3_hierarchy().reset_index(drop=True)
    known = set(table["na_l3code"].astype(str))
    focus = list(dict.fromkeys(str(c).strip() for c in focus_l3_codes))
    unknown = [c for c in focus if c not in known]
    if unknown:
        raise ConfigurationError(f"ingestion.virtual_conus.focus_l3_codes {unknown} are not level-III codes of the EPA table (e.g. '8.3.5')")

    rows, lat, lon = _place_sites(table, sites_per_subregion, sites_per_focus_l3, focus, seed)
    n_sites = len(rows)
    if n_sites == 0:
        raise ConfigurationError("ingestion.virtual_conus has no sites: set sites_per_subregion > 0 or give focus_l3_codes with sites_per_focus_l3 > 0")
    l1 = np.array([str(v) for v in table["na_l1code"].to_numpy()[rows]], dtype=object)
    l2 = np.array([str(v) for v in table["na_l2code"].to_numpy()[rows]], dtype=object)
    l3 = np.array([str(v) for v in table["na_l3code"].to_numpy()[rows]], dtype=object)
    h = _Hierarchy(table, l1, l2, l3)

    n_days = 365 * n_years
    time = pd.date_range(pd.Timestamp(start).normalize(), periods=n_days, freq="D").values.astype("datetime64[ns]")
    doy = pd.DatetimeIndex(time).dayofyear.to_numpy().astype(float)

    clim = _climate_and_statics(lat, lon, h, seed)
    wx = _weather(doy, lat, lon, clim, seed)
    latent = _latent(clim, h, seed)

    state = {
        "swe": np.zeros(n_sites),
        "s_top": 0.5 * (latent["theta_s"] - latent["theta_r"]) * _Z_TOP_MM,
        "s_r": 0.5 * latent["capacity"],
        "fast": np.zeros(n_sites),
        "gw": np.zeros(n_sites),
    }
    spin = min(365, n_days)
    _run_models(wx["prcp"][:spin], wx["tmean"][:spin], wx["pet"][:spin], latent, state, record=False)
    theta, flow = _run_models(wx["prcp"], wx["tmean"], wx["pet"], latent, state, record=True)

    dyn32 = {k: v.astype(np.float32) for k, v in wx.items()}
    rng_obs = _rng(seed, "observation/noise")
    q_obs = (flow * np.exp(rng_obs.normal(0.0, 0.05, flow.shape))).astype(np.float32)
    q_obs[_streamflow_gaps(n_days, n_sites, n_years, seed)] = np.nan
    sm_obs = np.clip(theta + rng_obs.normal(0.0, 0.015, theta.shape), 0.015, 0.55).astype(np.float32)
    sm_obs[~_smap_mask(dyn32["tmean"], seed)] = np.nan

    aridity = wx["pet"].sum(axis=0) / np.maximum(wx["prcp"].sum(axis=0), 1e-3)
    statics = {
        "aridity": aridity, "soil_capacity": clim["soil_capacity"], "sand_frac": clim["sand_frac"],
        "forest_frac": clim["forest_frac"], "slope": clim["slope"], "elevation": clim["elevation"], "area": clim["area"],
    }

    def var(dims, data, attrs):
        return xr.Variable(dims, data, {"units": attrs[0], "long_name": attrs[1]})

    data_vars = {k: var(("site", "time"), dyn32[k].T, _DYNAMIC_ATTRS[k]) for k in _DYNAMIC_ATTRS}
    data_vars |= {k: var(("site",), statics[k].astype(np.float32), _STATIC_ATTRS[k]) for k in _STATIC_ATTRS}
    data_vars["streamflow"] = var(("site", "time"), q_obs.T, _TARGET_ATTRS["streamflow"])
    data_vars["soil_moisture"] = var(("site", "time"), sm_obs.T, _TARGET_ATTRS["soil_moisture"])

    site_ids = np.array([f"vc{i:04d}" for i in range(n_sites)], dtype=object)
    coords = {
        "site": ("site", site_ids),
        "time": ("time", time),
        "lat": ("site", lat.astype(np.float64), {"units": "degrees_north", "long_name": "latitude"}),
        "lon": ("site", lon.astype(np.float64), {"units": "degrees_east", "long_name": "longitude"}),
        "eco_l1": ("site", l1, {"long_name": "EPA NA level-I ecoregion code"}),
        "eco_l2": ("site", l2, {"long_name": "EPA NA level-II ecoregion code"}),
        "eco_l3": ("site", l3, {"long_name": "EPA NA level-III ecoregion code"}),
    }
    attrs = {
        "title": "Virtual CONUS: synthetic hydrology dataset with known truth",
        "source": "virtual_conus",
        "seed": seed,
        "description": (
            "Seeded synthetic sites in the EPA ecoregion hierarchy: stochastic weather, hierarchical "
            "static attributes, and soil moisture / streamflow from conceptual models whose parameters "
            "include hidden level-I/II/III regional effects. See synergy_kedro.sources.virtual_conus."
        ),
        "sites_per_subregion": sites_per_subregion,
        "sites_per_focus_l3": sites_per_focus_l3,
        "focus_l3_codes": ",".join(focus),
        "start": str(pd.Timestamp(time[0]).date()),
        "n_years": n_years,
    }
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    truth = {k: v.copy() for k, v in latent.items()} | {"theta": theta.T, "streamflow": flow.T}
    return ds, truth


def generate_virtual_conus(
    sites_per_subregion: int = 12,
    sites_per_focus_l3: int = 8,
    focus_l3_codes: Sequence[str] = (),
    start: str = "2010-01-01",
    n_years: int = 6,
    seed: int = 20220101,
) -> xr.Dataset:
    """Generate the virtual-CONUS Dataset (canonical (site, time) data model).

    Args:
        sites_per_subregion: sites in each of the 18 sub-regions A–R, spread over their level-III
            regions by systematic sampling weighted by sqrt(area).
        sites_per_focus_l3: extra sites in each level-III region named in ``focus_l3_codes``.
        focus_l3_codes: level-III codes (e.g. ``"8.3.5"``) that get the extra sites.
        start: first day of the daily time axis.
        n_years: length of the record; the axis has ``365 * n_years`` days.
        seed: non-negative integer; the same arguments give a bit-identical Dataset.

    Returns:
        Dataset with dims ``site`` × ``time``; dynamic inputs ``prcp``, ``tmean``, ``srad``,
        ``pet``, ``vp``; statics ``aridity``, ``soil_capacity``, ``sand_frac``, ``forest_frac``,
        ``slope``, ``elevation``, ``area``; targets ``streamflow`` and ``soil_moisture`` (with
        NaN gaps); coords ``lat``, ``lon``, ``eco_l1``, ``eco_l2``, ``eco_l3``. The equations are
        in the module docstring.
    """
    ds, _ = _simulate(sites_per_subregion, sites_per_focus_l3, focus_l3_codes, start, n_years, seed)
    return ds
