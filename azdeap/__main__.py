"""``python -m azdeap COMMAND``: see azdeap.cli."""
import sys

if __name__ == "__main__":
    try:
        from azdeap.cli import main
    except KeyboardInterrupt:   # Ctrl-C while numba, numpy and deap load
        print("azdeap: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())
