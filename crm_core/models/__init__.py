"""The CRM's typed SQLAlchemy 2 models."""

from crm_core.models.base import Base
from crm_core.models.customer import Customer
from crm_core.models.line import Line
from crm_core.models.offer import Offer
from crm_core.models.trace import TraceEvent

__all__ = ["Base", "Customer", "Line", "Offer", "TraceEvent"]
