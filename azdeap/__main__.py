"""``python -m azdeap COMMAND``: see azdeap.cli."""
import sys

from azdeap.cli import main

if __name__ == "__main__":
    sys.exit(main())
