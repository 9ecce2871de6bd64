"""The `epigrid` command: Django's management commands, with dashes allowed (`epigrid demo-city`)."""

import os
import sys

# Subcommands whose names are not valid Python module names, or read better with a dash.
ALIASES = {"import": "import_data"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = ALIASES.get(args[0], args[0].replace("-", "_"))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["epigrid", *args])


if __name__ == "__main__":
    main()
