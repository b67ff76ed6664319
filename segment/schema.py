"""JSON Schema of manifests (front matter) and show.yaml, for editors and CI."""

from __future__ import annotations

from typing import Any

from segment.models import Segment, Show


def json_schema(kind: str = "all") -> dict[str, Any]:
    manifest = Segment.model_json_schema(mode="validation")
    manifest["title"] = "segpack segment manifest (front matter)"
    manifest["description"] = ("YAML front matter of a segment manifest; the Markdown body "
                               "below it is the transcript.")
    manifest["properties"].pop("transcript", None)
    manifest["required"] = [k for k in manifest.get("required", []) if k != "transcript"]
    show = Show.model_json_schema(mode="validation")
    show["title"] = "segpack show.yaml"
    for doc in (manifest, show):
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if kind == "manifest":
        return manifest
    if kind == "show":
        return show
    return {"manifest": manifest, "show": show}
