"""``python -m azdeap run [--config FILE]``: run experiments (see azdeap.run)."""
import sys

from azdeap import run

COMMANDS = {"run": run.main}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        if argv and argv[0] not in ("-h", "--help") and not argv[0].startswith("-"):
            print("azdeap: error: unknown command %r (commands: %s)"
                  % (argv[0], ", ".join(COMMANDS)), file=sys.stderr)
            return 2
        if argv and argv[0] in ("-h", "--help"):
            print("usage: python -m azdeap run [--config FILE] [--seed N] [--quiet] "
                  "[--workers N] [--plot PNG]")
            return 0
        argv = ["run"] + list(argv)   # no command: run (the demo by default)
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
