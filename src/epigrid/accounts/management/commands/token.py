from django.core.management.base import BaseCommand, CommandError

from epigrid.accounts.models import ApiToken
from epigrid.accounts.services import token_create, token_revoke
from epigrid.core.errors import ServiceError
from epigrid.core.principals import SYSTEM


class Command(BaseCommand):
    help = "API tokens: `epigrid token create NAME` prints a new token once; `list` and `revoke ID`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for user NAME and print it once.")
        create.add_argument("username")
        create.add_argument("--label", default="cli")
        create.add_argument("--days", type=int, default=90, help="Days until it expires (0: never).")
        listing = sub.add_parser("list", help="List a user's tokens (never the tokens themselves).")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke token ID.")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, **opts):
        try:
            if opts["action"] == "create":
                _, raw = token_create(actor=SYSTEM, username=opts["username"], name=opts["label"],
                                      days=opts["days"] or None)
                self.stdout.write(raw)
            elif opts["action"] == "list":
                for t in ApiToken.objects.filter(user__username=opts["username"]).order_by("id"):
                    state = "revoked" if t.revoked_at else ("valid" if t.is_valid else "expired")
                    self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.name}\t{state}\texpires {t.expires_at or 'never'}")
            else:
                token_revoke(actor=SYSTEM, token_id=opts["token_id"])
                self.stdout.write(f"revoked {opts['token_id']}")
        except ServiceError as exc:
            raise CommandError(exc.detail) from None
