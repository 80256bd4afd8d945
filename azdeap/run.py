"""``python azdeap/run.py [options]``, the ``run`` command as a script path, for scoop:

    python -m scoop -n 32 azdeap/run.py --config configs/demo.yaml

Under scoop the exit status is 0 even when the run failed: scoop's launcher exits with 0
whatever its root process does.  The error is still its one line ``azdeap: error: ...``
on stderr; a script must look for that line, not at the status.  Without scoop the status
is that of ``python -m azdeap`` (2 for a user error, 130 on Ctrl-C).
"""
import os
import sys

if not __package__:  # run as a script path: import azdeap from the repository root,
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not azdeap/

if __name__ == "__main__":
    try:
        from azdeap.cli import main, under_scoop
    except KeyboardInterrupt:   # Ctrl-C while numba, numpy and deap load
        print("azdeap: interrupted", file=sys.stderr)
        sys.exit(130)
    exit_code = main(["run"] + sys.argv[1:])
    # Under scoop a SystemExit would be a traceback, and the status 0 anyway.
    if exit_code and not under_scoop():
        sys.exit(exit_code)
