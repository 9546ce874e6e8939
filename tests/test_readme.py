import re

from conftest import REPO


def test_ci_runs_the_test_command_of_the_readme():
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"```bash\n(python3 -m venv .*)\n```", readme)
    assert len(commands) == 2, "README's quick start must show exactly two commands"
    assert commands[1] in (REPO / ".ci" / "run").read_text().splitlines()
