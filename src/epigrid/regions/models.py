from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.core.scoping import MUNICIPALITIES, ScopedQuerySet


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")


def division_level_label(level: str, code: str) -> str:
    """The level as people say it for this division: 直辖市 for a municipality's province-level node."""
    if level == Level.PROVINCE and code[:2] in MUNICIPALITIES:
        return str(pgettext_lazy("division level", "Municipality"))
    return level_label(level)


def level_label(level: str) -> str:
    """The display name of a level, grids included (for messages)."""
    return str(_("Grid")) if level == "grid" else str(Level(level).label)


class Division(models.Model):
    """An administrative division, province down to community, keyed by its 12-digit statistical code."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Optional outline (GeoJSON geometry, WGS-84) and its simplified form for maps.
    geometry = models.TextField(_("boundary"), blank=True)
    map_geometry = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    scope_field = "code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self):
        return f"{self.name} ({self.code})"

    def get_level_display(self) -> str:
        # Django's generated display would call 北京市 a province.
        return division_level_label(self.level, self.code)


class Grid(models.Model):
    """A grid cell: the unit a grid worker is responsible for. 15-digit code = community code + 3 digits."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="grids")
    # Exact polygon for locating, as GeoJSON (WGS-84); a simplified copy keeps map pages small.
    geometry = models.TextField(_("boundary"))
    map_geometry = models.TextField()
    area_m2 = models.FloatField(_("area (m²)"))
    centroid_lon = models.FloatField()
    centroid_lat = models.FloatField()
    workers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="grids",
                                     verbose_name=_("grid workers"))
    updated_at = models.DateTimeField(default=timezone.now)

    scope_field = "code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self):
        return f"{self.name} ({self.code})"


class RegionsRevision(models.Model):
    """A value changed by every change to the grids, so each process knows when to rebuild its
    in-memory locate index without re-reading 20,000 polygons per request."""

    value = models.BigIntegerField(default=0)

    def __str__(self):
        return str(self.value)


class FigureDaily(models.Model):
    """A registered figure (regions/figures.py) per node and day: a grid (`level` "grid") or a division
    above it. Today's row holds the latest value, a past day's the last one computed that day. Kept by
    regions/rollups.py; a value of 0 has no row."""

    figure = models.CharField(max_length=32)
    node_code = models.CharField(max_length=15)
    level = models.CharField(max_length=10)
    day = models.DateField()
    value = models.BigIntegerField(default=0)

    scope_field = "node_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["figure", "day", "node_code"], name="figure_daily_once")]

    def __str__(self):
        return f"{self.figure} {self.node_code} {self.day} = {self.value}"


class FigureRun(models.Model):
    """When a day's figures were last computed (`computed_at`, the time shown beside them) and last
    rebuilt whole (`full_at`); the next incremental run looks at the audit rows written since."""

    day = models.DateField(unique=True)
    computed_at = models.DateTimeField()
    full_at = models.DateTimeField()

    def __str__(self):
        return f"{self.day} {self.computed_at:%H:%M}"
