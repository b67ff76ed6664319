"""Importers: what newsrooms already have (article pages, podcast feeds, tagged audio) -> segments.

Pure parsing: each importer turns input bytes into `Imported` records and never writes files;
`segpack import` (feeds/import_commands.py) meets them with manifests on disk.
"""
