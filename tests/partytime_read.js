// Print what the podcast-partytime parser (the Podcasting 2.0 parser podcast apps use) reads
// from a feed file, as JSON: `node tests/partytime_read.js FEED.xml`. Run by tests/readers.py.
"use strict";
const fs = require("fs");
const { parseFeed } = require("podcast-partytime");

const parsed = parseFeed(fs.readFileSync(process.argv[2], "utf8"), { allowMissingGuid: true });
process.stdout.write(JSON.stringify(parsed));
