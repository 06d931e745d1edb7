from django import template

from ops.alerts import Alert, operator_alerts

register = template.Library()


@register.simple_tag
def admin_operator_alerts() -> list[Alert]:
    """The admin index's alert banner (a fixed handful of aggregate queries)."""
    return operator_alerts()
