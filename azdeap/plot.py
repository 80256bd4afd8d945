"""A picture of a run: best and mean population fitness against individuals.

Needs matplotlib, an optional extra: ``pip install -e ".[plot]"``.
"""
import os
import tempfile


def require_matplotlib():
    """matplotlib.pyplot on a file-only backend; ImportError with the fix if missing."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install -e '.[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_logbooks(logbooks, path, title="azdeap"):
    """Write a PNG of the logbooks of a run's experiments, one after another: best
    (solid) and mean (dashed) fitness against the individuals made so far.  OSError if
    it cannot be written, leaving no file behind."""
    plt = require_matplotlib()
    figure, axes = plt.subplots(figsize=(9, 4.5))
    offset = 0
    for number, logbook in enumerate(logbooks, 1):
        individuals = [offset + n for n in logbook.select("individuals")]
        best, = axes.plot(individuals, logbook.select("best"), linewidth=1.5,
                          label="experiment %d" % number if len(logbooks) <= 12 else None)
        axes.plot(individuals, logbook.select("mean"), "--", color=best.get_color(),
                  linewidth=0.8, alpha=0.7)
        offset = individuals[-1]
    axes.set_xlabel("individuals")
    axes.set_ylabel("fitness on the search tasks")
    axes.set_ylim(0.0, 1.02)
    axes.set_title("%s: best (solid) and mean (dashed) population fitness" % title)
    if len(logbooks) <= 12:
        axes.legend(loc="lower right", fontsize="small")
    axes.grid(alpha=0.3)
    save_figure(plt, figure, path)


def save_figure(plt, figure, path):
    """Write figure to path as a PNG and close it; OSError if it cannot be written,
    leaving no file behind (not even a half-written picture)."""
    figure.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".png", delete=False) as temporary:
            figure.savefig(temporary, format="png", dpi=110)
        os.replace(temporary.name, path)
    except BaseException:
        if temporary is not None:
            os.unlink(temporary.name)
        raise
    finally:
        plt.close(figure)
