"""The study's regions: the EPA hierarchy and sub-regions A–R (:mod:`.hierarchy`), the models a
partitioning scheme gets (:mod:`.schemes`), which region a site is in (:mod:`.membership`) and the
close / far / dissimilar site sets of the second experiment (:mod:`.experiment_design`).

Import from the submodules, e.g. ``from synergy_kedro.regions.hierarchy import SUBREGIONS``.
"""
