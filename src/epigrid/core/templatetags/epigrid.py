from django import template

register = template.Library()


@register.filter
def km2(area_m2) -> str:
    """Square metres shown as square kilometres, two decimals (grids are typically 0.05-2 km²)."""
    try:
        return f"{float(area_m2) / 1e6:,.2f}"
    except (TypeError, ValueError):
        return ""
