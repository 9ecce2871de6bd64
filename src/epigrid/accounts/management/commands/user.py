from django.core.management.base import BaseCommand, CommandError

from epigrid.accounts.roles import Role
from epigrid.accounts.services import user_add
from epigrid.core.errors import ServiceError
from epigrid.core.principals import SYSTEM


class Command(BaseCommand):
    help = "Manage users: `epigrid user add NAME --role ROLE --at CODE [--password P]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a user (or add a role to one) at a division or grid.")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--at", required=True, dest="node_code", help="Division (12 digits) or grid (15) code.")
        add.add_argument("--password", help="Initial password; one is generated and printed if left out.")
        add.add_argument("--display-name", default="")

    def handle(self, *args, **opts):
        try:
            user, generated = user_add(actor=SYSTEM, username=opts["username"], role=opts["role"],
                                       node_code=opts["node_code"], password=opts["password"],
                                       display_name=opts["display_name"])
        except ServiceError as exc:
            raise CommandError(f"{exc.detail} " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)) from None
        self.stdout.write(f"{user.username}: {opts['role']} at {opts['node_code']}")
        if generated:
            self.stdout.write(f"password: {generated}")
