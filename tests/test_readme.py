"""The README's code and commands stay true."""
import pathlib
import re

from azdeap import Algorithm

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_prints_an_algorithm(capsys):
    text = README.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert "max_individuals=300_000" in code
    exec(compile(code.replace("300_000", "5_000"), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    algorithm = Algorithm.from_text(printed)
    assert algorithm.sizes == (10, 2, 8)


def test_readme_shows_the_two_fresh_machine_commands():
    text = README.read_text()
    assert 'python -m pip install -e . && python -m azdeap run' in text
    test_command = 'python -m pip install -e ".[test]" && python -m pytest -q'
    assert test_command in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci
