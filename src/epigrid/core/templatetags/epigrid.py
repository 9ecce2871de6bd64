from django import template

register = template.Library()


@register.filter
def km2(area_m2) -> str:
    """Square metres shown as square kilometres, two decimals (grids are typically 0.05-2 km²)."""
    try:
        return f"{float(area_m2) / 1e6:,.2f}"
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def sort_th(state, key: str, label) -> str:
    """A sortable column header of a list (core.lists.ListState): a link that toggles the sort, an arrow
    and aria-sort on the current column."""
    from django.utils.html import format_html

    header = state.headers[key]
    arrow = {"asc": " ▲", "desc": " ▼"}.get(header["dir"], "")
    aria = {"asc": "ascending", "desc": "descending"}.get(header["dir"], "none")
    return format_html('<th aria-sort="{}" data-sort="{}"><a href="{}" class="sort">{}{}</a></th>',
                       aria, key, header["url"], label, arrow)


@register.inclusion_tag("core/_place.html")
def place(code: str, names: dict | None):
    """A grid or division code with its community and grid names beside it (core.lists.place_names)."""
    return {"code": code, "place": names}
