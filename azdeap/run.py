"""``python azdeap/run.py [options]``, the ``run`` command as a script path, for scoop:

    python -m scoop -n 32 azdeap/run.py --config configs/demo.yaml
"""
import os
import sys

if not __package__:  # run as a script path: import azdeap from the repository root,
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not azdeap/

from azdeap.cli import main, under_scoop  # noqa: E402

if __name__ == "__main__":
    exit_code = main(["run"] + sys.argv[1:])
    # scoop's launcher exits with status 0 whatever its root does, and turns a
    # SystemExit into a traceback: under scoop an error is just its one line.
    if exit_code and not under_scoop():
        sys.exit(exit_code)
