"""The demo's small outbreak, as the tests and a newcomer meet it: chains, a confirmed household cluster,
a proposed market cluster, contacts under observation in the demo grid worker's list; the scheduled task
that recomputes chains and proposes clusters changes nothing when nothing changed."""

from epigrid.demo.people import demo_people_build
from epigrid.demo.services import demo_users_create
from epigrid.epi.models import Case, Cluster, Contact
from epigrid.epi.tasks import chains_and_clusters


def test_the_small_outbreak_has_chains_and_two_clusters(city):
    demo_users_create()
    demo_people_build()
    assert Case.objects.count() == 12 and Contact.objects.filter(status="managed").exists()
    assert Case.objects.filter(generation__gte=2).exists() and Case.objects.filter(no_known_source=True).exists()
    confirmed = Cluster.objects.get(status="confirmed")
    assert confirmed.setting == "household" and confirmed.case_count >= 2
    assert Cluster.objects.filter(status="proposed", setting="venue").exists()
    before = list(Cluster.objects.order_by("pk").values_list("pk", "case_count", "status"))
    assert chains_and_clusters() == 1
    assert list(Cluster.objects.order_by("pk").values_list("pk", "case_count", "status")) == before
