from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A ratio (0.8731) as a percentage ("87.3%"); blank when there is none."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:.1f}%"


@register.filter
def bar(value) -> str:
    """A ratio as the value of a <progress max="100">, from 0 to 100."""
    try:
        return f"{min(max(float(value), 0.0), 1.0) * 100:.1f}"
    except (TypeError, ValueError):
        return "0"


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
