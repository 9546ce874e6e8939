"""Wikipedia for the HotpotQA tools: an offline SQLite FTS5 index (`local`), or the live site
(`live`). Both answer one question, `find(entity)`: the page of that exact title, or the titles of
similar pages (`pages`). `WikiBrowser` (`browser`) turns that into the ReAct paper's Search and
Lookup observations.
"""

from react_agent.tools.wikipedia.browser import WikiBrowser, paper_sentences, wiki_tools
from react_agent.tools.wikipedia.live import LiveWikipedia
from react_agent.tools.wikipedia.local import LocalWiki, build_index, read_pages
from react_agent.tools.wikipedia.pages import NotFound, Page, Wiki, split_sentences

__all__ = [
    "LiveWikipedia",
    "LocalWiki",
    "NotFound",
    "Page",
    "Wiki",
    "WikiBrowser",
    "build_index",
    "paper_sentences",
    "read_pages",
    "split_sentences",
    "wiki_tools",
]
