"""LiveWikipedia through the real `wikipedia` package, against a MediaWiki API on 127.0.0.1."""

import pytest

from react_agent.tools.wikipedia import LiveWikipedia, WikiBrowser, split_sentences
from servers import mediawiki_server, url_of

PAGES = {
    "Colorado orogeny": (
        "The Colorado orogeny was an episode of mountain building in Colorado and surrounding areas. "
        "It took place from 1780 to 1650 million years ago.\n\n"
        "== Description ==\n"
        "The eastern sector extends into the High Plains and is called the Central Plains orogeny. "
        "The boundary between the sectors is uncertain. Rocks of the eastern sector are buried. "
        "The eastern sector was studied by drilling."
    ),
    "High Plains": "High Plains refers to one of two distinct land regions:",
    "High Plains (United States)": "The High Plains are a subregion of the Great Plains.",
}


@pytest.fixture
def live():
    with mediawiki_server(PAGES, disambiguation={"High Plains"}) as server:
        yield LiveWikipedia(api_url=url_of(server, "/w/api.php")), server


def test_search_gives_first_five_sentences(live):
    wiki, server = live
    observation = WikiBrowser(wiki).search("Colorado orogeny")
    assert observation == (
        "The Colorado orogeny was an episode of mountain building in Colorado and surrounding areas. "
        "It took place from 1780 to 1650 million years ago. "
        "The eastern sector extends into the High Plains and is called the Central Plains orogeny. "
        "The boundary between the sectors is uncertain. Rocks of the eastern sector are buried."
    )
    assert server.queries, "the package did not reach the local API"


def test_lookup_walks_the_whole_page(live):
    wiki, _ = live
    browser = WikiBrowser(wiki)
    browser.search("Colorado orogeny")
    assert browser.lookup("eastern sector").startswith("(Result 1 / 3) The eastern sector extends")
    assert browser.lookup("eastern sector") == "(Result 2 / 3) Rocks of the eastern sector are buried."
    assert browser.lookup("eastern sector") == "(Result 3 / 3) The eastern sector was studied by drilling."
    assert browser.lookup("eastern sector") == "No more results."


def test_missing_page_lists_similar_titles(live):
    wiki, _ = live
    observation = WikiBrowser(wiki).search("Plains")
    assert observation == "Could not find Plains. Similar: ['High Plains', 'High Plains (United States)']."


def test_disambiguation_page_is_searched_again(live):
    wiki, _ = live
    observation = WikiBrowser(wiki).search("High Plains")
    assert observation.startswith("Could not find [High Plains]. Similar: ['High Plains'")


def test_split_sentences_skips_headings_and_fragments():
    assert split_sentences("== History ==\nShort bit\nOne is here. Two is there.") == [
        "One is here.",
        "Two is there.",
    ]


def test_bracketed_title_is_answered_invalid_and_gives_similar_titles(live):
    """MediaWiki answers `[High Plains]` as an invalid title, which the `wikipedia` package does
    not expect; we never ask it for one and search instead, as the paper's code does in effect."""
    wiki, server = live
    found = wiki.find("[High Plains]")
    assert found.similar == ["High Plains", "High Plains (United States)"]
    assert not any(q.get("titles") == "[High Plains]" for q in server.queries)


def test_the_test_server_answers_invalid_titles_as_mediawiki_does(live):
    import wikipedia

    _, server = live
    with pytest.raises(KeyError, match="fullurl"):  # what the package makes of it, unguarded
        wikipedia.page("[High Plains]", auto_suggest=False, redirect=True)


def test_a_wiki_that_does_not_answer_in_time_is_an_observation():
    from react_agent import Agent, StopReason
    from react_agent.envs.hotpotqa import HotpotQAEnv, Question
    from react_agent.models import ScriptedModel

    with mediawiki_server(PAGES, delay=3.0) as server:
        wiki = LiveWikipedia(api_url=url_of(server, "/w/api.php"), timeout=0.3)
        model = ScriptedModel([" x\nAction 1: Search[Colorado orogeny]", " y\nAction 2: Finish[1780]"])
        question = Question(id="q", question="When did the Colorado orogeny begin?", answer="1780")
        result = Agent(model, HotpotQAEnv(wiki)).run(question)
    assert result.steps[0].observation == "Wikipedia did not answer within 0.3 s."
    assert result.stop_reason is StopReason.finished and result.error is None


@pytest.mark.parametrize("fault", ["503", "garbage"])
def test_a_site_that_fails_is_an_observation_and_the_episode_goes_on(fault):
    from react_agent import Agent, StopReason
    from react_agent.envs.hotpotqa import HotpotQAEnv, Question
    from react_agent.models import ScriptedModel

    with mediawiki_server(PAGES) as server:
        server.fault = fault
        wiki = LiveWikipedia(api_url=url_of(server, "/w/api.php"))
        model = ScriptedModel([" x\nAction 1: Search[Colorado orogeny]", " y\nAction 2: Finish[1780]"])
        question = Question(id="q", question="When did the Colorado orogeny begin?", answer="1780")
        result = Agent(model, HotpotQAEnv(wiki)).run(question)
    assert result.steps[0].observation == "Wikipedia sent an answer that could not be read; try again."
    assert result.stop_reason is StopReason.finished and result.error is None
