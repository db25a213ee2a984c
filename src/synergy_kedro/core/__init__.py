"""Shared basics every other package uses: the canonical (site, time) data model
(:mod:`.canonical`), transforms and training-only statistics (:mod:`.normalisation`), the typed
parameters (:mod:`.parameters`), user-facing errors (:mod:`.errors`), atomic writes
(:mod:`.atomic`) and progress bars (:mod:`.progress`).
"""
