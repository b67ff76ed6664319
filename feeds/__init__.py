"""Publishing: a show folder becomes a folder ready to upload (feed.xml, media, transcripts,
chapters, a preview page).

Built on feedgen and its iTunes extension, plus our own feedgen extension for the Podcasting 2.0
namespace (`feeds.podcastindex`). `feeds` may import `segment` and `media`, nothing above them.
"""
