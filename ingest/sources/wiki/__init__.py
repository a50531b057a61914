"""Internal wiki pages as catalog items: Markdown folders, Confluence HTML exports, MediaWiki XML exports.

A wiki page is long reference text, so every page becomes one item of format "page" whose micro-units are
cut at its headings. The three formats differ only in how text and headings are found; each is reduced to
the same list of `Section`s and from there shares one path to a `CatalogItem` (pages.py).

`read_records` only finds pages and reads their text (cheap, and the place where a whole import can be
refused); parsing a page happens in `to_item`, so one broken page is one rejection, not a failed import.

    source.py      WikiSource: picks the format from the path, parses each page in its own format
    markdown.py    Markdown pages: front matter and the body's token stream
    confluence.py  Confluence HTML exports (folder or zip)
    mediawiki.py   MediaWiki XML exports and wikitext markup
    html_text.py   HTML to sections (Confluence bodies, HTML inside Markdown)
    pages.py       the shared page shape and the route from sections to a catalog item
    folders.py     finding pages in folders, links that lead out, zips unpacked with caps
"""
