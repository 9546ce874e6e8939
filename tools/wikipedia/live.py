"""The live Wikipedia, through the `wikipedia` package, with a timeout on every request."""

from __future__ import annotations

import re
import warnings

from react_agent.environment import ToolError
from react_agent.tools.wikipedia.pages import SIMILAR_TITLES, NotFound, Page, split_sentences

# Characters MediaWiki never allows in a title: it answers such a title as `invalid`, which the
# `wikipedia` package does not expect (it fails with `KeyError: 'fullurl'`).
_INVALID_TITLE = re.compile(r"[\[\]{}|#<>]")
WIKI_TIMEOUT = 10.0  # seconds for each request to the live site


class _RequestsWithTimeout:
    """Stands in for the `requests` module inside the `wikipedia` package, whose calls have no
    timeout of their own: every GET it makes gets one."""

    def __init__(self, requests_module: object, timeout: float):
        self._requests = requests_module
        self.timeout = timeout

    def get(self, *args: object, **kwargs: object) -> object:
        kwargs.setdefault("timeout", self.timeout)
        return self._requests.get(*args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._requests, name)


class LiveWikipedia:
    """The live Wikipedia through the `wikipedia` package.

    `api_url` points the package at another MediaWiki API (a mirror, or a test server), and
    `timeout` bounds each of its requests; the package keeps both in module globals, so they apply
    to the whole process. A request that times out or cannot connect is a `ToolError`: the model
    sees it as the observation, and the episode goes on.
    """

    def __init__(self, api_url: str | None = None, lang: str = "en", timeout: float = WIKI_TIMEOUT):
        import requests
        import wikipedia

        self._wikipedia = wikipedia
        self._network_errors = (requests.Timeout, requests.ConnectionError)
        self.timeout = timeout
        wikipedia.set_lang(lang)
        # The package speaks plain http to Wikipedia; we ask for https.
        wikipedia.wikipedia.API_URL = api_url or f"https://{lang.lower()}.wikipedia.org/w/api.php"
        wikipedia.wikipedia.requests = _RequestsWithTimeout(requests, timeout)

    def describe(self) -> str:
        return "live"

    def find(self, entity: str) -> Page | NotFound:
        wikipedia = self._wikipedia
        try:
            if _INVALID_TITLE.search(entity) or not entity.strip():
                # No page can have this title (the paper's retry of a disambiguation page as
                # `[entity]` lands here): what the site's search finds is all there is.
                return NotFound(wikipedia.search(entity, results=SIMILAR_TITLES))
            try:
                with warnings.catch_warnings():  # the package's BeautifulSoup call warns about its parser
                    warnings.simplefilter("ignore", UserWarning)
                    page = wikipedia.page(entity, auto_suggest=False, redirect=True)
            except wikipedia.DisambiguationError:
                return Page(entity, [f"{entity} may refer to:"])
            except wikipedia.PageError:
                return NotFound(wikipedia.search(entity, results=SIMILAR_TITLES))
            return Page(page.title, split_sentences(page.content))
        except self._network_errors[0] as error:
            raise ToolError(f"Wikipedia did not answer within {self.timeout:g} s.") from error
        except self._network_errors[1] as error:
            raise ToolError(f"Wikipedia could not be reached ({type(error).__name__}).") from error
        except (ValueError, KeyError) as error:  # an error page or garbage where JSON was due
            raise ToolError("Wikipedia sent an answer that could not be read; try again.") from error
