"""Person groups and roles of the Podcasting 2.0 taxonomy (`podcast:person group/role`).

Source: `taxonomy.json` of the Podcast Taxonomy Project, which the namespace's `podcast:person`
definition names as the official list (Podcastindex-org/podcast-namespace). Matching is
case-insensitive, as the namespace says ("Host" is "host"). The published file spells one role
"Translater" and leaves trailing spaces on some; podcast apps' parsers (podcast-partytime) spell
it "Translator", so both are accepted. Apps file a person whose group they do not know under
Cast, and one whose role they do not know as a host: a wrong value degrades, it does not break.
"""

from __future__ import annotations

import difflib

TAXONOMY: dict[str, tuple[str, ...]] = {
    "Creative Direction": ("Director", "Assistant Director", "Executive Producer",
                           "Senior Producer", "Producer", "Associate Producer",
                           "Development Producer", "Creative Director"),
    "Cast": ("Host", "Co-Host", "Guest Host", "Guest", "Voice Actor", "Narrator", "Announcer",
             "Reporter"),
    "Writing": ("Author", "Editorial Director", "Co-Writer", "Writer", "Songwriter",
                "Guest Writer", "Story Editor", "Managing Editor", "Script Editor",
                "Script Coordinator", "Researcher", "Editor", "Fact Checker", "Translater",
                "Translator", "Transcriber", "Logger"),
    "Audio Production": ("Studio Coordinator", "Technical Director", "Technical Manager",
                         "Audio Engineer", "Remote Recording Engineer",
                         "Post Production Engineer"),
    "Audio Post-Production": ("Audio Editor", "Sound Designer", "Foley Artist", "Composer",
                              "Theme Music", "Music Production", "Music Contributor"),
    "Administration": ("Production Coordinator", "Booking Coordinator", "Production Assistant",
                       "Content Manager", "Marketing Manager", "Sales Representative",
                       "Sales Manager"),
    "Visuals": ("Graphic Designer", "Cover Art Designer"),
    "Community": ("Social Media Manager",),
    "Misc.": ("Consultant", "Intern"),
    "Video Production": ("Camera Operator", "Lighting Designer", "Camera Grip",
                         "Assistant Camera"),
    "Video Post-Production": ("Editor", "Assistant Editor"),
}
"""Group -> its roles, as the taxonomy publishes them (trailing spaces dropped)."""

_GROUPS = {group.lower(): group for group in TAXONOMY}
_ROLES = {group.lower(): {role.lower() for role in roles} for group, roles in TAXONOMY.items()}


def _groups_of(role: str) -> list[str]:
    return [group for group, roles in TAXONOMY.items() if role.lower() in
            (r.lower() for r in roles)]


def _suggest(value: str, names: list[str]) -> str:
    close = difflib.get_close_matches(value.lower(), [n.lower() for n in names], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def person_problem(group: str, role: str) -> str | None:
    """None when `role` is a role of `group` in the taxonomy, else what is wrong.

    >>> person_problem("cast", "host") is None
    True
    >>> person_problem("crew", "producer").split("; ")[1]
    "'producer' belongs to group 'creative direction'"
    """
    group_key, role_key = group.strip().lower(), role.strip().lower()
    homes = [g.lower() for g in _groups_of(role_key)]
    if group_key not in _GROUPS:
        where = f"; {role_key!r} belongs to group {homes[0]!r}" if homes else \
            _suggest(group_key, list(TAXONOMY))
        return f"group {group!r} is not in the Podcasting 2.0 taxonomy{where}"
    if role_key in _ROLES[group_key]:
        return None
    if homes:
        return f"role {role!r} belongs to group {homes[0]!r}, not {group_key!r}"
    return (f"role {role!r} is not a role of group {group_key!r} in the Podcasting 2.0 "
            f"taxonomy{_suggest(role_key, list(TAXONOMY[_GROUPS[group_key]]))}")
