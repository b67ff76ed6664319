"""Importers: what newsrooms already have (article pages, podcast feeds, tagged audio) -> segments.

Each importer is pure parsing: input bytes in, `Imported` records out, no files written.
`article` (+ `article_html`: trafilatura and the newsroom parts) reads pages; `feed` reads a
podcast feed's channel and items, with `feedxml` (safe XML, xml:base, notes, the migration
report's rows) and `podcast2` (Podcasting 2.0 elements); `tags` reads tagged audio.
`manifests` meets them with the show folder (new manifests, updates that keep the producer's
edits, the import record); `commands` is the thin `segpack import` group.
"""
