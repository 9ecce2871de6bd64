from django.core.management import call_command
from django.core.management.base import BaseCommand

from epigrid.demo.people import demo_people_build
from epigrid.demo.services import DEMO_PASSWORD, demo_city_build, demo_users_create
from epigrid.regions.models import Grid
from epigrid.residents.models import Resident


def built_already() -> bool:
    return Resident.objects.exists()


class Command(BaseCommand):
    help = "Migrate, build the demo city and its users, print the logins, and serve."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--scale", choices=["small", "city"], default="small")
        parser.add_argument("--no-serve", action="store_true", help="Set up only.")
        parser.add_argument("--outbreak", type=int, default=200, help="Cases of the demo outbreak (0: none).")

    def handle(self, *args, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        if not Grid.objects.filter(code__startswith="110101").exists():
            self.stdout.write("building the demo city…")
            result = demo_city_build(scale=opts["scale"])
            self.stdout.write(f"  {result.created} divisions and grids")
        rows = demo_users_create()
        if not built_already():
            self.stdout.write("building the demo people and a small outbreak…")
        built = demo_people_build(outbreak_cases=opts["outbreak"])
        if built:
            self.stdout.write(f"  {built['residents']} residents, {built['observations']} under observation, "
                              f"{built['incidents']} incidents, {built.get('cases', 0)} cases, "
                              f"{built.get('contacts', 0)} contacts")
        url = f"http://127.0.0.1:{opts['port']}/"
        self.stdout.write("\nEpiGrid demo · 演示\n")
        self.stdout.write(f"  open {url}   password for every demo user / 演示账号密码: {DEMO_PASSWORD}\n")
        for username, role, code, name in rows:
            self.stdout.write(f"  {username:<15} {role:<17} {code:<15} {name}")
        self.stdout.write("")
        self.stdout.flush()
        if not opts["no_serve"]:
            call_command("serve", bind=f"127.0.0.1:{opts['port']}", workers=2, with_worker=True)
