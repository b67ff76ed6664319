"""Text that XML can carry: the feed layer's name for `segment.xmltext`, where the rule that
reports such text (SEG214) finds it too."""

from segment.xmltext import clean, has_invalid

__all__ = ["clean", "has_invalid"]
