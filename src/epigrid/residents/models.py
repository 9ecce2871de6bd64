from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.core import pii
from epigrid.core.ids import uuid7
from epigrid.core.scoping import ScopedQuerySet


class IdType(models.TextChoices):
    RIC = "ric", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HMT = "hmt", _("Hong Kong/Macau/Taiwan permit")
    OTHER = "other", _("Other")


class Tag(models.IntegerChoices):
    """Vulnerability tags, stored together as bits of one integer (filterable on both databases)."""

    ELDERLY_ALONE = 1, _("Elderly living alone")
    DISABLED = 2, _("Disabled")
    PREGNANT = 4, _("Pregnant")
    CHRONIC = 8, _("Chronic illness")
    LOW_INCOME = 16, _("Low income")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by staff")
    IMPORT = "import", _("Imported")
    ARRIVAL = "arrival", _("Arrival self-registration")


class Household(models.Model):
    grid_code = models.CharField(_("grid"), max_length=15, db_index=True)
    address = models.CharField(_("address"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")

    def __str__(self):
        return self.address


# The records that hold their ID number in their city: the unique constraint's condition, which a query
# must repeat word for word for SQLite to use that index (it does not infer `<> ''` from `= 'abc'`).
HOLDS_NUMBER = ~models.Q(id_number_index="") & models.Q(duplicate_of__isnull=True)


class Resident(models.Model):
    """A person living in (or arrived at) a grid. ID number and phone are stored only encrypted, with a
    blind index to find them; see epigrid.core.pii. Anonymised residents keep their grid and counts."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    # Indexes: only those a query uses, named in Meta.indexes and shown in use by tests/residents/
    # test_indexes.py (each costs every insert; a million-row import pays for all of them).
    grid_code = models.CharField(_("grid"), max_length=15)
    # The duplicate check runs per city (the first four digits of the code): cities do not see each other.
    city_code = models.CharField(max_length=4)
    # No index: nothing looks residents up by household (and households are never deleted).
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="members", db_index=False)
    name = models.CharField(_("name"), max_length=50)
    # Searched by prefix inside the user's scope (selectors.residents_search), which the grid index finds.
    name_pinyin = models.CharField(max_length=200, blank=True)
    name_initials = models.CharField(max_length=50, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True, choices=[("M", _("male")), ("F", _("female"))])
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_type = models.CharField(_("ID type"), max_length=16, choices=IdType.choices, default=IdType.RIC)
    id_number_enc = models.BinaryField(null=True, blank=True)
    id_number_index = models.CharField(max_length=32, blank=True)  # found through resident_unique_id_per_city
    phone_enc = models.BinaryField(null=True, blank=True)
    phone_index = models.CharField(max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    tags = models.PositiveSmallIntegerField(_("tags"), default=0)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Set when this record was registered where an older record of the same ID number was out of the
    # registrant's reach (another jurisdiction, or the public): the two stay apart until the older
    # record's jurisdiction decides (ResidentMatch). Never shown to the registrant.
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates", db_index=False)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid_code", "name"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            # One record per person and city, but for newer records awaiting a match decision. The blind
            # index first: the look-up by ID number (services.residents_lookup) knows no city. Queries
            # that want this index repeat its condition (HOLDS_NUMBER), so SQLite can use it too.
            models.UniqueConstraint(fields=["id_number_index", "city_code"], name="resident_unique_id_per_city",
                                    condition=HOLDS_NUMBER),
        ]
        indexes = [
            # Every scoped read (restrict, narrow_within: a range of grid codes), in the list's default order.
            models.Index(fields=["grid_code", "name_pinyin"], name="resident_grid"),
            models.Index(fields=["phone_index"], name="resident_phone"),  # the look-up by phone
            # The few newer records beside a holder (release_duplicates, the look-up, the import's own
            # duplicates); partial, so the rows without one (nearly all) cost it nothing.
            models.Index(fields=["duplicate_of"], name="resident_duplicate_of",
                         condition=models.Q(duplicate_of__isnull=False)),
        ]

    def __str__(self):
        return self.name

    @property
    def age(self) -> int | None:
        """Whole years today: what a role without the reveal right sees instead of the birth date."""
        if self.birth_date is None:
            return None
        today = timezone.localdate()
        return today.year - self.birth_date.year - ((today.month, today.day) < (self.birth_date.month,
                                                                                   self.birth_date.day))

    @property
    def id_number_masked(self) -> str:
        return pii.mask_id_number(pii.decrypt(self.id_number_enc, "id_number"))

    @property
    def phone_masked(self) -> str:
        return pii.mask_phone(pii.decrypt(self.phone_enc, "phone"))

    @property
    def tag_labels(self) -> list[str]:
        return [str(t.label) for t in Tag if self.tags & t.value]


class ResidentMatch(models.Model):
    """Two records of one person (the same ID number in one city) held apart: `record` was registered
    (by the public, or by staff of another jurisdiction) while `existing` lay out of the registrant's
    reach. Filed under the existing record's grid: its jurisdiction decides. Accepting merges the newer
    record into the existing one (which moves to the newer record's place, or stays where it is);
    declining keeps both. Nothing moves a record out of a jurisdiction without this decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        MOVED = "moved", pgettext_lazy("resident match", "Merged; moved here")
        KEPT = "kept", pgettext_lazy("resident match", "Merged; place kept")
        DECLINED = "declined", pgettext_lazy("resident match", "Declined")

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    record = models.ForeignKey(Resident, null=True, on_delete=models.SET_NULL, related_name="match_requests")
    existing = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="match_claims")
    grid_code = models.CharField(_("grid"), max_length=15, db_index=True)  # the existing record's
    to_grid_code = models.CharField(_("registered in grid"), max_length=15)  # the newer record's
    source = models.CharField(_("registered by"), max_length=16, choices=Source.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("record match")

    def __str__(self):
        return f"{self.existing_id} <- {self.record_id} {self.status}"


class Transport(models.TextChoices):
    TRAIN = "train", _("Train")
    FLIGHT = "flight", _("Flight")
    COACH = "coach", _("Coach")
    CAR = "car", _("Car")
    OTHER = "other", _("Other")


class ArrivalPolicy(models.Model):
    """Who starts home observation on arrival, per jurisdiction node (the nearest node above a
    community wins; with none, the settings' defaults)."""

    node_code = models.CharField(_("jurisdiction"), max_length=12, unique=True)
    # GB/T 2260 codes of provinces or cities (420000, 420100), one per line; a province code covers all
    # its cities. Compared by code prefix (core.places.covers), never as text.
    risk_origins = models.TextField(_("risk origins"), blank=True)
    observe_all = models.BooleanField(_("observe every arrival"), default=False)
    days = models.PositiveSmallIntegerField(_("observation days"), default=14)
    updated_at = models.DateTimeField(default=timezone.now)

    scope_field = "node_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("arrival policy")

    def __str__(self):
        return f"{self.node_code}: {self.days}"

    @property
    def origins(self) -> set[str]:
        """Risk origin codes."""
        return {line.strip() for line in self.risk_origins.splitlines() if line.strip()}


class Arrival(models.Model):
    """An arrival registration (返京/来京人员登记), usually by the person through the community's link."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="arrivals")
    grid_code = models.CharField(_("grid"), max_length=15, db_index=True)
    community_code = models.CharField(_("community"), max_length=12)
    origin_province = models.CharField(_("from province"), max_length=30)
    origin_city = models.CharField(_("from city"), max_length=30)
    # The codes of what the person typed (core.places.normalise) or picked; empty when unrecognised.
    origin_province_code = models.CharField(_("from province (code)"), max_length=6, blank=True, default="")
    origin_city_code = models.CharField(_("from city (code)"), max_length=6, blank=True, default="")
    origin_district_code = models.CharField(_("from district (code)"), max_length=6, blank=True, default="")
    # Whether the origin was a risk origin of the policy when the person registered (the list's badge).
    from_risk_origin = models.BooleanField(_("from a risk origin"), default=False)
    arrival_date = models.DateField(_("arrival date"))
    transport = models.CharField(_("transport"), max_length=16, choices=Transport.choices)
    transport_number = models.CharField(_("train, flight or plate number"), max_length=30, blank=True)
    places_14d = models.CharField(_("places stayed in the last 14 days"), max_length=300, blank=True)
    symptoms = models.PositiveSmallIntegerField(_("symptoms"), default=0)
    temperature = models.DecimalField(_("temperature"), max_digits=3, decimal_places=1, null=True, blank=True)
    consent_at = models.DateTimeField(_("consent given"))
    consent_version = models.CharField(max_length=20)
    observation_started = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("arrival")

    def __str__(self):
        return f"{self.resident} {self.arrival_date}"
