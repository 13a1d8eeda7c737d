"""The ``zi`` command line: one module per subcommand, each with ``register``."""
import argparse
import importlib
import sys

# Subcommand modules, in the order ``zi --help`` lists them.
_COMMANDS = ["train", "info", "claims", "sweep", "results"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="zi",
        description=(
            "zi-core: settle questions about weight initialization by experiment. "
            "Train the perceptron, linear and logistic regression and ReLU MLPs "
            "with per-sample SGD from any initialization, over many seeds."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except (ValueError, TypeError, FileNotFoundError, MemoryError) as exc:
        print(f"zi {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"zi {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
