from hypothesis import given
from hypothesis import strategies as st

from react_agent.parsing import action_is_complete, cut_observation, parse_action, parse_output


def test_numbered_thought_and_action():
    parsed = parse_output(" I should search X.\nAction 1: Search[Colorado orogeny]")
    assert parsed.thought == "I should search X."
    assert parsed.action.name == "search"
    assert parsed.action.argument == "Colorado orogeny"
    assert parsed.action.text == "Search[Colorado orogeny]"


def test_unnumbered_lower_case_and_extra_spaces():
    parsed = parse_output("  thought:  look it up \n  action :   lookup [ eastern sector ]  ")
    assert parsed.thought == "look it up"
    assert (parsed.action.name, parsed.action.argument) == ("lookup", "eastern sector")


def test_model_writing_its_own_observation_is_cut_off():
    text = (
        " Search it.\nAction 2: Search[Paris]\nObservation 2: Paris is in Spain."
        "\nThought 3: done\nAction 3: Finish[x]"
    )
    parsed = parse_output(text)
    assert parsed.action.argument == "Paris"
    assert cut_observation(text) == " Search it.\nAction 2: Search[Paris]\n"


def test_missing_action_line_gives_the_first_line_as_thought():
    parsed = parse_output(" I think the answer is near.\nMore musing.")
    assert parsed.action is None
    assert parsed.thought == "I think the answer is near."


def test_unclosed_and_doubled_brackets():
    assert parse_action("Search[Milhouse").argument == "Milhouse"
    assert parse_action("Finish[yes]]").argument == "yes]"
    assert parse_action("Search[Milhouse] and then Lookup[x]").argument == "Milhouse] and then Lookup[x"


def test_thought_and_action_on_one_line():
    parsed = parse_output(" I need Paris. Action 1: Search[Paris]")
    assert parsed.thought == "I need Paris."
    assert parsed.action.argument == "Paris"


def test_plain_command_is_kept_whole():
    action = parse_action("go to countertop 1")
    assert action.text == "go to countertop 1" and action.name is None


def test_blank_action_is_no_action():
    assert parse_action("   ") is None
    assert parse_output(" thinking\nAction 1:   ").action is None


def test_action_is_complete_when_bracket_closes_or_line_ends():
    assert not action_is_complete(" I will search.\nAction 1: Search[Par")
    assert action_is_complete(" I will search.\nAction 1: Search[Paris]")
    assert action_is_complete(" x\nAction 1: go to desk 1\n")
    assert action_is_complete(" x\nObservation 1:")
    assert not action_is_complete(" just thinking so far")


@given(st.text())
def test_parsing_never_raises(text):
    parsed = parse_output(text)
    assert "\n" not in parsed.thought  # a thought of several lines is joined into one
    if parsed.action is not None:
        assert parsed.action.text.strip()
    action_is_complete(text)
    parse_action(text)


@given(st.text(alphabet=st.characters(blacklist_characters="[]\n\r"), min_size=1))
def test_bracketed_argument_round_trips(argument):
    argument = argument.strip()
    action = parse_action(f"Search[{argument}]")
    assert action.name == "search"
    assert action.argument == argument


@given(
    st.lists(
        st.sampled_from(["Thought", "Action", "Observation", "1", ":", "[", "]", "\n", " ", "x", "Search"])
    )
)
def test_fuzzed_react_fragments_never_raise(tokens):
    text = "".join(tokens)
    parsed = parse_output(text)
    # An action is one line, and never the model's own Observation.
    if parsed.action is not None:
        assert "\n" not in parsed.action.text
        assert not parsed.action.text.lower().startswith("observation")


def test_observation_written_on_the_action_line_is_dropped():
    assert parse_output(" x\nAction 1: go to desk 1 Observation 1: you see").action.text == "go to desk 1"
    assert parse_output(" x\nAction 1: Observation 1: hi").action is None


def test_an_action_line_that_begins_the_observation_is_no_action():
    assert parse_output(" x\nAction 1: Observation").action is None
    assert parse_output(" x\nAction 1: Observation 1").action is None
    assert parse_output(" x\nAction 1: Search[observation deck]").action.argument == "observation deck"
