"""Names beside codes in lists: the grid and community names of a page's codes, in one query for grids
(their communities joined) and one for division codes, never one per row. Registered with
core.lists at start-up (RegionsConfig.ready), so that core imports no app."""

from .models import Division, Grid


def code_names(codes: set[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    grids = {c for c in codes if len(c) == 15}
    if grids:
        for code, name, community in Grid.objects.filter(code__in=grids).values_list("code", "name",
                                                                                        "community__name"):
            out[code] = {"grid": name, "community": community}
    divisions = {c for c in codes if len(c) == 12}
    if divisions:
        for code, name in Division.objects.filter(code__in=divisions).values_list("code", "name"):
            out[code] = {"community": name}
    return out
