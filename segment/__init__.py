"""segpack's domain: segments, shows, their manifests and validation.

This package imports nothing else of ours (enforced by import-linter), so `segpack validate`
stays fast and the models can be reused by `media` and `feeds`.
"""

from segment.errors import ManifestError, SegpackError

__all__ = ["ManifestError", "SegpackError"]
__version__ = "0.1.0"
