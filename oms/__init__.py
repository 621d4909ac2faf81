"""OMS: order management for marketplace orders arriving through Omnitron."""

# The Celery app must be loaded with Django, or `.delay()` targets a default AMQP broker.
from oms.celery import app as celery_app

__all__ = ["celery_app"]
