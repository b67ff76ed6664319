"""Publishing: a show folder becomes a folder ready to upload (feed.xml, media, transcripts,
chapters, a preview page). Built on feedgen and its iTunes extension, plus our own extension for
the Podcasting 2.0 namespace. `feeds` may import `segment` and `media`, nothing above them.

How `segpack build` runs (`feeds.build`), phase by phase:
1. No change? (`uptodate`, build process): every input's stat and a key of the code, settings and
   paths equal the last build's state -> its report is replayed, nothing is loaded. The state
   is `state.marshal` (the show's own files, the report) and, per episode, what it read and
   published, in shards read one at a time (`shards`, `cache.state_parts`).
2. Compile (`compile_all`; forked workers from 400 manifests): per manifest, the store's
   `EpisodeBuild` when the manifest, the files it read and the context key (code, show.yaml,
   settings, show artwork and stings: `cache.context_key`) are unchanged, its files linked from
   the last output; else parse and check (`segment.loading`), then `compiler.compile_episode`:
   item XML, preview article, files (`episode_files`, `enclosures`), findings. Workers write
   the files into the staging folder, their shard of the store
   (`.segpack-cache/<output>/manifests/`, read shard by shard as asked) and their shard of
   the new state; chunks are at most 1,000 manifests, and the build process keeps a few
   hundred bytes an episode (place in the feed, guid, findings), so memory stays flat.
3. Refuse on errors; make tagged copies of local audio (`media_step`, in `media/<content key>/`
   of the cache); compile those episodes again with their copy (build process).
4. Assemble feed.xml and index.html from the items and articles in feed order (each waits in
   a scratch file from step 2 on, `spool.Spool`: not in memory), sync once, swap
   the staging folder in whole (`output`), save the state for step 1.

Where is an RSS tag emitted, and what must I touch to add one? `feeds/feed.py`: channel tags in
`feed_document`, item tags in `add_item` (feedgen writes RSS and iTunes tags; a `podcast:` tag is
a value set there on our extension, `feeds/podcastindex.py`, which turns it into its element).
Assert it with XPath in `tests/test_build.py::test_namespace_output`. Nothing else: the cache is
keyed by the code, so the next build renders every episode with the new tag.
"""
