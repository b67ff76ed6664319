"""Audio files: probe, encode/normalise, and tags written from one field table.

May import `segment` (the domain) and nothing else of ours.
"""
