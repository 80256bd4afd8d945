"""The picture of a run: plot_logbooks and the optional matplotlib."""
import sys

import pytest
from deap import tools

from azdeap.plot import plot_logbooks, require_matplotlib

PNG = b"\x89PNG\r\n\x1a\n"


def logbook(best):
    book = tools.Logbook()
    for individuals, value in zip((100, 200, 300), best):
        book.record(individuals=individuals, best=value, mean=value / 2)
    return book


@pytest.mark.parametrize("experiments", [2, 13])     # a legend up to 12 experiments
def test_plot_logbooks_writes_one_png_and_nothing_else(tmp_path, experiments):
    path = tmp_path / "run.png"
    plot_logbooks([logbook((0.2, 0.5, 0.6))] * experiments, str(path), title="test")
    assert path.read_bytes()[:8] == PNG
    assert list(tmp_path.iterdir()) == [path]        # the temporary file was renamed


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError) as info:
        require_matplotlib()
    assert str(info.value) == "plotting needs matplotlib: pip install -e '.[plot]'"
