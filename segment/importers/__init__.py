"""Importers: what newsrooms already have (article pages, podcast feeds, tagged audio) -> segments.

Each importer (`article`, `feed`, `tags`) is pure parsing: input bytes in, `Imported` records
out, no files written. `manifests` meets them with the show folder (new manifests, updates that
keep the producer's edits, the import record); `commands` is the thin `segpack import` group.
"""
