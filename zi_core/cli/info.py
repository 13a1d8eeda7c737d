"""``zi info``: which compiled variant runs, OpenMP, threads, versions."""
from ._output import print_json


def register(sub):
    p = sub.add_parser("info", help="show the compiled core's configuration")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args):
    from .._info import config, show_config
    if args.json:
        print_json(config())
    else:
        show_config()
    return 0
