"""Kedro and MLflow glue: the hooks ``settings.py`` registers (:mod:`.hooks`,
:mod:`.parallel_threads`), MLflow tracking (:mod:`.tracking`, :mod:`.tracking_models`), the
parameter-shaped pipeline structure (:mod:`.structure_config`), one run per output folder
(:mod:`.run_lock`) and Ctrl-C handling (:mod:`.interruption`).

``cli.py``, ``settings.py`` and ``pipeline_registry.py`` stay at the package top, where Kedro looks.
"""
