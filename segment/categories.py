"""Apple Podcasts categories, as Apple publishes them, and what became of the old ones.

Source: "Apple Podcasts categories" (podcasters.apple.com/support/1691), linked from Apple's "A
Podcaster's Guide to RSS" as the complete list for `<itunes:category>`: 19 categories, 91
subcategories, unchanged since Apple's 2019 revision. The W3C Feed Validation Service carries the
same tree (its `itunes.py`), except that it lacks the subcategory Religion & Spirituality > Religion
that Apple lists; a feed using that one gets a W3C error, so validation says so too (`CAVEATS`).

show.yaml writes a category as `Top` or `Top/Sub`. A subcategory must sit under its parent
(`News/Daily News`, never `Daily News` alone): Apple reads `text` of the top-level element as the
category, so `Daily News` alone is an unknown category.

The pre-2019 names are not accepted any more. Those the W3C validator still knows as old
(`OBSOLETE`) are a warning there, so they are a warning here; every other unknown name is an
error. Either way the message suggests the current name (`MOVED`), from Apple's 2019 mapping.
`current_category` gives that name to `segpack import feed`, which moves an old feed's
categories (a 2016 Libsyn feed's `Business > Business News`) to the current list and says so.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing",
                 "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health",
                         "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
                "Home & Garden", "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
             "Sports News", "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism",
                                "Religion", "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
                "Natural Sciences", "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel",
                          "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf",
               "Hockey", "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball",
               "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews",
                  "TV Reviews"),
}
"""Category -> its subcategories, in Apple's order and spelling (`&`, `How To`, `Stand-Up`)."""

CAVEATS = {"Religion & Spirituality/Religion": "Apple lists it, but the W3C feed validator "
           "does not know it and reports an error"}

MOVED: dict[str, str] = {
    # old top-level names
    "Government & Organizations": "Government", "News & Politics": "News",
    "Science & Medicine": "Science", "Games & Hobbies": "Leisure", "Health": "Health & Fitness",
    "Sports & Recreation": "Sports", "Politics": "News/Politics", "Food": "Arts/Food",
    "Family": "Kids & Family", "Travel": "Society & Culture/Places & Travel",
    "Movies & Television": "TV & Film", "Arts & Entertainment": "Arts",
    # old subcategories
    "Arts/Literature": "Arts/Books",
    "Business/Business News": "News/Business News", "Business/News": "News/Business News",
    "Business/Management & Marketing": "Business/Management", "Business/Shopping": "Business",
    "Education/Education Technology": "Education/Courses",
    "Education/Educational Technology": "Education/Courses",
    "Education/Higher Education": "Education/Courses", "Education/K-12": "Education/Courses",
    "Education/Training": "Education/Courses",
    "Education/Language Courses": "Education/Language Learning",
    "Games & Hobbies/Automotive": "Leisure/Automotive",
    "Games & Hobbies/Aviation": "Leisure/Aviation", "Games & Hobbies/Hobbies": "Leisure/Hobbies",
    "Games & Hobbies/Other Games": "Leisure/Games",
    "Games & Hobbies/Video Games": "Leisure/Video Games",
    "Government & Organizations/Local": "Government",
    "Government & Organizations/National": "Government",
    "Government & Organizations/Regional": "Government",
    "Government & Organizations/Non-Profit": "Business/Non-Profit",
    "Health/Alternative Health": "Health & Fitness/Alternative Health",
    "Health/Fitness": "Health & Fitness/Fitness",
    "Health/Fitness & Nutrition": "Health & Fitness/Nutrition",
    "Health/Diet & Nutrition": "Health & Fitness/Nutrition",
    "Health/Self-Help": "Education/Self-Improvement",
    "Health/Sexuality": "Health & Fitness/Sexuality",
    "Health/Relationships": "Society & Culture/Relationships",
    "Religion & Spirituality/Other": "Religion & Spirituality/Religion",
    "Science & Medicine/Medicine": "Health & Fitness/Medicine",
    "Science & Medicine/Natural Sciences": "Science/Natural Sciences",
    "Science & Medicine/Social Sciences": "Science/Social Sciences",
    "Society & Culture/History": "History",
    "Sports & Recreation/Amateur": "Sports", "Sports & Recreation/College & High School":
    "Sports", "Sports & Recreation/Outdoor": "Sports/Wilderness",
    "Sports & Recreation/Professional": "Sports",
    "Technology/Tech News": "News/Tech News", "Technology/News": "News/Tech News",
    "Technology/Gadgets": "Technology", "Technology/Podcasting": "Technology",
    "Technology/Software How-To": "Technology",
}
"""Old or misplaced name -> the current category to use instead (Apple's 2019 mapping).

Sources: Apple's current list (podcasters.apple.com/support/1691) against its pre-2019 one (as
hosts copied it, e.g. gist.github.com/codeincontext/814315); the changes as podcasters were told
of them in June 2019: "Business News", "Tech News" and "Politics" moved under News, Medicine
under Health & Fitness, Sports by sport instead of by level, Games & Hobbies became Leisure
(james.cridland.net/blog/2019/apple-s-arrogant-dictatorship-of-podcasting-is-bad-for-the-
industry/, which lists them; hotpodnews.com/the-universe-according-to-apple/;
socialmediaweek.org/blog/2019/08/how-apple-podcasts-latest-updates-will-impact-users/)."""

OBSOLETE = frozenset({
    "Government & Organizations", "News & Politics", "Science & Medicine", "Games & Hobbies",
    "Health", "Sports & Recreation", "Politics", "Food", "Family", "Travel",
    "Movies & Television", "Arts & Entertainment", "Audio Blogs", "International",
    "Public Radio", "Talk Radio", "Transportation",
    "Arts/Literature", "Business/News", "Business/Management & Marketing", "Business/Shopping",
    "Education/Education Technology", "Education/Higher Education", "Education/K-12",
    "Education/Training", "Education/Language Courses",
    "Religion & Spirituality/Other", "Society & Culture/History",
    "Technology/Tech News", "Technology/News", "Technology/Gadgets", "Technology/Podcasting",
    "Technology/Software How-To",
} | {key for key in MOVED if key.split("/")[0] in {
    "Government & Organizations", "Games & Hobbies", "Health", "Science & Medicine",
    "Sports & Recreation"}})
"""Pre-2019 names the W3C validator still knows: a warning there, a warning here."""


@dataclass(frozen=True)
class Verdict:
    """What is wrong with one category entry: a `warning` (obsolete, or a reader disagrees) or
    an error (directories do not know it)."""

    problem: str
    warning: bool = False


def _parent_of(sub: str) -> str | None:
    return next((top for top, subs in CATEGORIES.items() if sub in subs), None)


def _closest(text: str) -> str | None:
    names = list(CATEGORIES) + [f"{top}/{sub}" for top, subs in CATEGORIES.items()
                                for sub in subs]
    lowered = {name.lower(): name for name in names}
    if text.lower() in lowered:
        return lowered[text.lower()]
    close = difflib.get_close_matches(text, names, n=1, cutoff=0.75)
    return close[0] if close else None


def current_category(entry: str) -> str | None:
    """The current category an old or misplaced `entry` stands for, when there is exactly one:
    Apple's 2019 mapping (`MOVED`), a subcategory named alone or under an old parent put under
    its parent, a name differing only in case. None for a current category or one with no
    sure equivalent (`check_category` then says what is wrong).

    >>> current_category("Business/Business News")
    'News/Business News'
    >>> current_category("Government & Organizations")
    'Government'
    >>> current_category("Daily News")
    'News/Daily News'
    >>> current_category("Games & Hobbies/Video Games"), current_category("news/tech news")
    ('Leisure/Video Games', 'News/Tech News')
    >>> current_category("News/Daily News") is None, current_category("Talk Radio") is None
    (True, True)
    """
    top, _, sub = (part.strip() for part in entry.partition("/"))
    key = f"{top}/{sub}" if sub else top
    if top in CATEGORIES and (not sub or sub in CATEGORIES[top]):
        return None
    if key in MOVED:
        return MOVED[key]
    if not sub and _parent_of(top):
        return f"{_parent_of(top)}/{top}"
    moved_top = MOVED.get(top, "")
    if sub and sub in CATEGORIES.get(moved_top, ()):
        return f"{moved_top}/{sub}"
    same = _closest(key)
    return same if same and same.lower() == key.lower() else None


def check_category(entry: str) -> Verdict | None:
    """None when `entry` (`Top` or `Top/Sub`) is an Apple category as published.

    >>> check_category("News/Daily News") is None
    True
    >>> check_category("Daily News").problem
    "'Daily News' is a subcategory of News: write 'News/Daily News'"
    >>> check_category("Government & Organizations").warning
    True
    """
    top, _, sub = (part.strip() for part in entry.partition("/"))
    key = f"{top}/{sub}" if sub else top
    if top in CATEGORIES and (not sub or sub in CATEGORIES[top]):
        return Verdict(f"{key!r}: {CAVEATS[key]}", True) if key in CAVEATS else None
    if key in MOVED or key in OBSOLETE:
        instead = MOVED.get(key)
        hint = f"; use {instead!r}" if instead else "; choose a current one"
        kind = "an obsolete" if key in OBSOLETE else "not an"
        return Verdict(f"{key!r} is {kind} Apple Podcasts category{hint}", key in OBSOLETE)
    if not sub and _parent_of(top):
        return Verdict(f"{top!r} is a subcategory of {_parent_of(top)}: write "
                       f"'{_parent_of(top)}/{top}'")
    if sub and top in CATEGORIES:
        where = _parent_of(sub)
        if where:
            return Verdict(f"{sub!r} is not under {top} but under {where}: write "
                           f"'{where}/{sub}'")
        close = _closest(key)
        hint = f"; did you mean {close!r}?" if close else \
            f"; {top} has {', '.join(CATEGORIES[top]) or 'no subcategories'}"
        return Verdict(f"{sub!r} is not a subcategory of {top}{hint}")
    close = _closest(key)
    hint = f"; did you mean {close!r}?" if close else "; see Apple's list of categories"
    return Verdict(f"{key!r} is not an Apple Podcasts category{hint}")
