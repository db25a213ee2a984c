"""Maps of the sites, of the global model's per-site improvement and of the ROIs' training sets.

The paper's main figures are maps (Fang et al., Figures 1, 4 and 5): where the sites are, by
sub-region A–R; where pooling all regions helped or hurt; which sites each ROI's close, far and
dissimilar models added. A box plot cannot show whether the global model's gains cluster in space.

Everything is drawn in CONUS Albers equal-area (EPSG:5070, metres), so areas compare across the
map and a SMAP pixel can be drawn at its true size: a square of its 36 km footprint centred on
the pixel's centre (the EASE-Grid 2.0 cell is equal-area too, so the square is a close match).
Basins are drawn as points at the gauge. Figures are :class:`matplotlib.figure.Figure` built
directly, never through ``pyplot`` (see :mod:`synergy_kedro.evaluation.figures`); polygons are turned into
matplotlib paths here rather than by ``GeoDataFrame.plot``, which goes through ``pyplot``.

``sites`` tables follow ``site_regions`` (index = site; columns ``lat``, ``lon`` in WGS84 degrees,
``subregion``, ``eco_l3``). ``polygons`` are the EPA level-III polygons as read by
:func:`synergy_kedro.regions.membership.read_ecoregion_polygons`, or None where the environment has none:
the maps then show the sites alone, with a note saying so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import Collection, PatchCollection
from matplotlib.colors import CenteredNorm, to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from pyproj import Transformer

from synergy_kedro.evaluation.comparisons import HIGHER_IS_BETTER
from synergy_kedro.regions.hierarchy import SUBREGIONS, level1_of, level2_of, subregions_of
from synergy_kedro.regions.membership import EPA_FIELDS, EQUAL_AREA_CRS

#: Size of a site's square on the map, per target, in metres: SMAP L3 pixels are 36 km cells.
#: Targets not listed (streamflow) are drawn as points at the gauge.
FOOTPRINT_M: dict[str, float] = {"soil_moisture": 36_000.0}
#: Polygon outlines are simplified to this tolerance (m) before drawing: at CONUS scale a pixel of
#: the saved figure is about 4 km, so 2 km loses nothing visible and draws much faster.
DRAW_TOLERANCE_M = 2_000.0
#: Point size (points²) of a basin on the map.
POINT_SIZE = 14.0
#: Colours of the second experiment's sets; the ROI's own sites stand out, dissimilar ones recede.
SET_COLOURS: dict[str, str] = {"local": "#d62728", "close": "#ff7f0e", "far": "#2ca02c", "dissimilar": "#1f77b4"}
NO_REGION_COLOUR = "#bdbdbd"
NO_POLYGONS_NOTE = "EPA ecoregion polygons not available: sites only, no region outlines"


def footprint_of(target: str) -> float | None:
    """Side (m) of the square a site of ``target`` covers, or None for point sites (gauges)."""
    return FOOTPRINT_M.get(target)


def to_map_xy(lat: Sequence[float], lon: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees → EPSG:5070 metres (x east, y north)."""
    transformer = Transformer.from_crs("EPSG:4326", EQUAL_AREA_CRS, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def site_xy(sites: pd.DataFrame) -> pd.DataFrame:
    """``x``, ``y`` (EPSG:5070) of the sites with finite coordinates; sites without them cannot be placed."""
    placed = sites[np.isfinite(sites["lat"].astype(float)) & np.isfinite(sites["lon"].astype(float))]
    x, y = to_map_xy(placed["lat"], placed["lon"])
    return pd.DataFrame({"x": x, "y": y}, index=placed.index)


def subregion_colours() -> dict[str, str]:
    """One colour per sub-region letter: tab20's ten dark shades for A–J, then its light ones for K–R.

    Taking every other colour keeps neighbouring letters (often neighbouring regions) apart in hue.
    """
    palette = [to_hex(c) for c in colormaps["tab20"].colors]
    order = palette[0::2] + palette[1::2]
    return {letter: order[i % len(order)] for i, letter in enumerate(SUBREGIONS)}


def map_polygons(polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """EPA level-III polygons in EPSG:5070 with ``eco_l1/2/3`` and ``subregion`` columns, ready to draw."""
    out = polygons[[*EPA_FIELDS, "geometry"]].rename(columns=EPA_FIELDS).to_crs(EQUAL_AREA_CRS)
    out["subregion"] = subregions_of(out["eco_l3"].astype(str))
    return out


def dissolved(polygons: gpd.GeoDataFrame, column: str) -> gpd.GeoSeries:
    """One (multi)polygon per value of ``column`` (e.g. ``subregion``): the outline of a group of level-III regions."""
    groups = polygons.dropna(subset=[column]).dissolve(by=column)
    return groups.geometry.simplify(DRAW_TOLERANCE_M)


def geometry_path(geometry: Any) -> Path:
    """A (multi)polygon as one compound matplotlib path: every ring a closed sub-path, holes included."""
    vertices, codes = [], []
    for part in shapely.get_parts(geometry):
        if part.geom_type != "Polygon" or part.is_empty:
            continue  # a dissolve can leave stray lines or points; only areas are drawn
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords, float)[:, :2]
            ring_codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            ring_codes[0], ring_codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return Path(np.empty((0, 2)))
    return Path(np.concatenate(vertices), np.concatenate(codes))


def draw_geometries(ax: Axes, geometries: Sequence[Any], *, gid: str, **style: Any) -> PatchCollection:
    """Draw polygons (in map metres) as one collection; ``style`` as for :class:`PatchCollection`."""
    patches = [PathPatch(geometry_path(g)) for g in geometries if g is not None and not g.is_empty]
    collection = PatchCollection(patches, **style)
    collection.set_gid(gid)
    ax.add_collection(collection)
    return collection


def draw_ecoregions(ax: Axes, polygons: gpd.GeoDataFrame, labels: bool = True) -> None:
    """Level-III borders (thin, grey) under the sub-region outlines (dark), letters at each sub-region."""
    level3 = polygons.geometry.simplify(DRAW_TOLERANCE_M)
    draw_geometries(ax, list(level3), gid="level3", facecolor="none", edgecolor="#9e9e9e", linewidth=0.3, zorder=1)
    subregions = dissolved(polygons, "subregion")
    draw_geometries(ax, list(subregions), gid="subregions", facecolor="none", edgecolor="#424242", linewidth=0.9,
                    zorder=2)
    if labels:
        for letter, geometry in subregions.items():
            largest = max(shapely.get_parts(geometry), key=lambda part: part.area)
            point = largest.representative_point()
            ax.text(point.x, point.y, str(letter), ha="center", va="center", fontsize=9, fontweight="bold",
                    color="#212121", alpha=0.55, zorder=2)


def draw_sites(ax: Axes, xy: pd.DataFrame, footprint_m: float | None, *, gid: str, facecolor: Any = None,
               edgecolor: Any = "none", values: np.ndarray | None = None, cmap: str | None = None, norm: Any = None,
               linewidth: float = 0.4, zorder: float = 3, size: float = POINT_SIZE) -> Collection:
    """Sites as squares of ``footprint_m`` (pixels) or as points (gauges); one collection, tagged ``gid``.

    ``values`` with ``cmap``/``norm`` colour the sites by a number (the collection is then the
    mappable of a colourbar); otherwise ``facecolor`` (one colour or one per site).
    """
    if footprint_m:
        half = footprint_m / 2.0
        squares = [Rectangle((x - half, y - half), footprint_m, footprint_m) for x, y in zip(xy["x"], xy["y"], strict=False)]
        collection: Collection = PatchCollection(squares, edgecolor=edgecolor, linewidth=linewidth, zorder=zorder)
        if values is None:
            collection.set_facecolor(facecolor)
        else:
            collection.set_array(np.asarray(values, float))
            collection.set_cmap(cmap)
            collection.set_norm(norm)
        ax.add_collection(collection)
    else:
        colour = ({"facecolors": facecolor} if values is None
                  else {"c": np.asarray(values, float), "cmap": cmap, "norm": norm})
        collection = ax.scatter(xy["x"], xy["y"], s=size, edgecolors=edgecolor, linewidths=linewidth, zorder=zorder,
                                **colour)
    collection.set_gid(gid)
    return collection


def marker_handle(footprint_m: float | None, label: str, facecolor: Any, edgecolor: Any = "none") -> Line2D:
    """A legend entry that looks like the sites it stands for (square for pixels, dot for gauges)."""
    return Line2D([], [], marker="s" if footprint_m else "o", linestyle="none", markersize=7,
                  markerfacecolor=facecolor, markeredgecolor=edgecolor, label=label)


def frame(ax: Axes, xy: pd.DataFrame, polygons: gpd.GeoDataFrame | None, margin_m: float = 150_000.0) -> None:
    """Equal-aspect map axes around the sites and polygons, without ticks (Albers metres mean nothing to a reader)."""
    bounds = [[xy["x"].min(), xy["y"].min(), xy["x"].max(), xy["y"].max()]] if len(xy) else []
    if polygons is not None and len(polygons):
        bounds.append(list(polygons.total_bounds))
    if bounds:
        b = np.asarray(bounds, float)
        ax.set_xlim(np.nanmin(b[:, 0]) - margin_m, np.nanmax(b[:, 2]) + margin_m)
        ax.set_ylim(np.nanmin(b[:, 1]) - margin_m, np.nanmax(b[:, 3]) + margin_m)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _no_polygons_note(fig: Figure) -> None:
    fig.text(0.01, 0.01, NO_POLYGONS_NOTE, fontsize=8, color="#616161", ha="left", va="bottom")


def sites_map(sites: pd.DataFrame, polygons: gpd.GeoDataFrame | None, footprint_m: float | None,
              title: str) -> Figure:
    """Every site coloured by its sub-region A–R (grey: none), over level-III borders and sub-region outlines."""
    xy = site_xy(sites)
    letters = sites["subregion"].reindex(xy.index)
    colours = subregion_colours()
    facecolors = [colours.get(str(letter), NO_REGION_COLOUR) if pd.notna(letter) else NO_REGION_COLOUR
                  for letter in letters]
    fig = Figure(figsize=(11, 7))
    ax = fig.subplots()
    shapes = map_polygons(polygons) if polygons is not None else None
    if shapes is not None:
        draw_ecoregions(ax, shapes)
    draw_sites(ax, xy, footprint_m, gid="sites", facecolor=facecolors,
               edgecolor="#424242" if not footprint_m else "none")
    counts = letters.astype("string").value_counts()
    handles = [marker_handle(footprint_m, f"{letter} ({counts[letter]})", colours[letter])
               for letter in SUBREGIONS if letter in counts.index]
    unassigned = int(letters.isna().sum())
    if unassigned:
        handles.append(marker_handle(footprint_m, f"no sub-region ({unassigned})", NO_REGION_COLOUR))
    ax.legend(handles=handles, title="sub-region (sites)", loc="center left", bbox_to_anchor=(1.0, 0.5),
              fontsize="small", frameon=False)
    frame(ax, xy, shapes)
    ax.set_title(f"{title}: {len(xy)} {'pixels' if footprint_m else 'sites'}")
    if shapes is None:
        _no_polygons_note(fig)
    fig.tight_layout()
    return fig


def improvement_text(metric: str, names: tuple[str, str] = ("global", "local")) -> tuple[str, str]:
    """How model a's improvement over model b in ``metric`` is computed, and what a positive value means."""
    a, b = names
    higher = HIGHER_IS_BETTER.get(metric, True)
    if higher is None:
        formula = f"|{metric} {b}| − |{metric} {a}|"
    elif higher:
        formula = f"{metric} {a} − {metric} {b}"
    else:
        formula = f"{metric} {b} − {metric} {a}"
    return formula, f"> 0 (blue): {a} model better; < 0 (red): {b} model better"


def centred_norm(values: np.ndarray, quantile: float = 0.95) -> tuple[CenteredNorm, str]:
    """A colour norm centred on 0, symmetric so equal gains and losses get equal intensity.

    The half-range is the ``quantile`` of |value| (all of them below 20 sites), so one site with
    a disastrous NSE does not wash out the rest; clipped sites show as the colourbar's extensions,
    whose setting (``extend``) is returned too.
    """
    finite = np.abs(np.asarray(values, float))
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return CenteredNorm(vcenter=0.0, halfrange=1.0), "neither"
    half = float(np.quantile(finite, quantile)) if finite.size >= 20 else float(finite.max())
    half = half if half > 0 else 1.0
    values = np.asarray(values, float)
    low, high = bool(np.nanmin(values) < -half), bool(np.nanmax(values) > half)
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get((low, high), "neither")
    return CenteredNorm(vcenter=0.0, halfrange=half), extend


def difference_map(sites: pd.DataFrame, improvement: pd.Series, metric: str, polygons: gpd.GeoDataFrame | None,
                   footprint_m: float | None, title: str, names: tuple[str, str] = ("global", "local")) -> Figure:
    """The global model's improvement over the local model at each paired site, on a diverging scale centred on 0.

    ``improvement`` (index = paired site) is signed so that > 0 means the global model is better
    whatever the metric (see :func:`improvement_text`); NaN where either model has no metric
    (hollow grey, counted). Sites in ``sites`` but not in ``improvement`` have no local model
    (its region had too few sites) and are drawn as small grey dots, counted too.
    """
    xy = site_xy(sites)
    paired = improvement.reindex(xy.index.intersection(improvement.index))
    computable = paired[np.isfinite(paired.to_numpy(float))]
    not_computable = paired.index.difference(computable.index)
    unpaired = xy.index.difference(paired.index)
    fig = Figure(figsize=(11, 7.5))
    ax = fig.subplots()
    shapes = map_polygons(polygons) if polygons is not None else None
    if shapes is not None:
        draw_ecoregions(ax, shapes)
    draw_sites(ax, xy.loc[unpaired], footprint_m, gid="no_local_model", facecolor="#e0e0e0", zorder=2.5,
               size=POINT_SIZE / 3)
    draw_sites(ax, xy.loc[not_computable], footprint_m, gid="not_computable", facecolor="none", edgecolor="#757575",
               linewidth=0.9, zorder=3)
    norm, extend = centred_norm(computable.to_numpy(float))
    mappable = draw_sites(ax, xy.loc[computable.index], footprint_m, gid="improvement",
                          values=computable.to_numpy(float), cmap="RdBu", norm=norm,
                          edgecolor="#424242" if not footprint_m else "none", linewidth=0.3, zorder=4)
    a, b = names
    formula, meaning = improvement_text(metric, names)
    colourbar = fig.colorbar(mappable, ax=ax, shrink=0.7, extend=extend, pad=0.01)
    colourbar.set_label(f"improvement by the {a} model: {formula}\n{meaning}")
    n_better = int((computable > 0).sum())
    n_worse = int((computable < 0).sum())
    handles = [
        marker_handle(footprint_m, f"{a} better ({n_better})", colormaps["RdBu"](0.85)),
        marker_handle(footprint_m, f"{b} better ({n_worse})", colormaps["RdBu"](0.15)),
        marker_handle(footprint_m, f"not computable, NaN {metric} ({len(not_computable)})", "none", "#757575"),
        marker_handle(footprint_m, f"no {b} model ({len(unpaired)})", "#e0e0e0"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize="small", framealpha=0.9)
    frame(ax, xy, shapes)
    ax.set_title(f"{title}\nimprovement by the {a} model in {metric} ({formula}; blue: {a} better), "
                 f"{len(computable)} paired {'pixels' if footprint_m else 'sites'}", fontsize="medium")
    if shapes is None:
        _no_polygons_note(fig)
    fig.tight_layout()
    return fig


def _draw_roi_outlines(ax: Axes, shapes: gpd.GeoDataFrame, roi: str) -> None:
    """The ROI filled; its level-II region (close) outlined in the close colour, its level-I one (far) in the far."""
    draw_geometries(ax, list(shapes.geometry.simplify(DRAW_TOLERANCE_M)), gid="level3", facecolor="none",
                    edgecolor="#bdbdbd", linewidth=0.25, zorder=1)
    own = shapes[shapes["eco_l3"] == roi]
    draw_geometries(ax, list(own.geometry.simplify(DRAW_TOLERANCE_M)), gid="roi", facecolor=SET_COLOURS["local"],
                    alpha=0.15, edgecolor=SET_COLOURS["local"], linewidth=0.8, zorder=1.5)
    for level, code, colour, style in (("eco_l1", level1_of(roi), SET_COLOURS["far"], "-"),
                                       ("eco_l2", level2_of(roi), SET_COLOURS["close"], "--")):
        group = shapes[shapes[level] == code]
        if len(group):
            outline = shapely.union_all(group.geometry.to_numpy()).simplify(DRAW_TOLERANCE_M)
            draw_geometries(ax, [outline], gid=level, facecolor="none", edgecolor=colour, linewidth=1.0,
                            linestyle=style, zorder=2)


def roi_map(sites: pd.DataFrame, roi_sets: Mapping[str, Mapping[str, Sequence[str]]],
            polygons: gpd.GeoDataFrame | None, footprint_m: float | None, title: str,
            notes: Mapping[str, str] | None = None) -> Figure:
    """One panel per ROI: its own sites and the close, far and dissimilar sites its models added.

    ``roi_sets`` maps ROI code → set name (``local``, ``close``, ``far``, ``dissimilar``) → the
    sites *added* by that set (``local``: the ROI's own). Sites in no set (no level-III code, or
    left out by the size-controlled draw) are drawn faint grey and counted as "not used". ``notes``
    (ROI → text) go under a panel's title, e.g. why it trained no models.
    """
    xy = site_xy(sites)
    rois = list(roi_sets)
    n_cols = min(3, max(len(rois), 1))
    n_rows = max(math.ceil(len(rois) / n_cols), 1)
    fig = Figure(figsize=(5.2 * n_cols, 3.7 * n_rows + 0.8))
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    shapes = map_polygons(polygons) if polygons is not None else None
    for ax, roi in zip(axes, rois, strict=False):
        sets = roi_sets[roi]
        if shapes is not None:
            _draw_roi_outlines(ax, shapes, roi)
        in_sets = pd.Index([s for members in sets.values() for s in members])
        other = xy.index.difference(in_sets)
        draw_sites(ax, xy.loc[other], footprint_m, gid="other", facecolor="#e0e0e0", zorder=2.5, size=POINT_SIZE / 4)
        handles = []
        for order, name in enumerate(("dissimilar", "far", "close", "local")):
            members = xy.index.intersection(pd.Index(sets.get(name, [])))
            draw_sites(ax, xy.loc[members], footprint_m, gid=name, facecolor=SET_COLOURS[name], zorder=3 + order,
                       size=POINT_SIZE / 2 if name == "dissimilar" else POINT_SIZE)
            label = "ROI (local)" if name == "local" else f"+{name}"
            handles.insert(0, marker_handle(footprint_m, f"{label} ({len(members)})", SET_COLOURS[name]))
        if len(other):
            handles.append(marker_handle(footprint_m, f"not used ({len(other)})", "#e0e0e0"))
        ax.legend(handles=handles, loc="lower left", fontsize="x-small", framealpha=0.85)
        frame(ax, xy, shapes, margin_m=80_000.0)
        note = (notes or {}).get(roi)
        ax.set_title(f"ROI {roi}" + (f"\n{note}" if note else ""), fontsize="medium")
    for ax in axes[len(rois):]:
        ax.set_axis_off()
    if not rois:
        axes[0].text(0.5, 0.5, "No ROI of this run has sites.", ha="center", va="center", transform=axes[0].transAxes)
    fig.suptitle(title)
    if shapes is None:
        _no_polygons_note(fig)
    fig.tight_layout()
    return fig
