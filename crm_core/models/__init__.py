"""The CRM's typed SQLAlchemy 2 models, one module per part of the 360° view."""

from crm_core.models.account import Account, Contract, PaymentMethod
from crm_core.models.activity import CommercialGesture, CustomerEvent, Interaction, Order, OrderStep
from crm_core.models.base import Base
from crm_core.models.billing import CollectionCase, Consumption, Invoice
from crm_core.models.customer import Customer, Guardianship
from crm_core.models.equipment import Equipment, HardwareTest
from crm_core.models.journal import JournalMark
from crm_core.models.line import Line, LineOption
from crm_core.models.offer import Coverage, EligibilityRule, Offer
from crm_core.models.organisation import (
    Advisor,
    ApplicationPack,
    BusinessProfile,
    Centre,
    PackLoan,
    Region,
    Team,
    WorkBasket,
)
from crm_core.models.steering import CallFact, KpiActDaily, KpiDaily, KpiHourly, SteeringCursor
from crm_core.models.support import Appointment, Ticket
from crm_core.models.trace import TraceEvent
from crm_core.models.trainer import CuratedExample, InboxDecision, ModelPublication, NluModel, ServingModel
from crm_core.models.transfer import Transfer

__all__ = [
    "Account", "Advisor", "ApplicationPack", "Appointment", "Base", "BusinessProfile", "CallFact", "Centre",
    "CollectionCase", "CommercialGesture", "Consumption", "Contract", "Coverage", "CuratedExample", "Customer",
    "CustomerEvent", "EligibilityRule", "Equipment", "Guardianship", "HardwareTest", "InboxDecision", "Interaction",
    "Invoice", "JournalMark", "KpiActDaily", "KpiDaily", "KpiHourly", "Line", "LineOption", "ModelPublication",
    "NluModel", "Offer", "Order", "OrderStep", "PackLoan", "PaymentMethod", "Region", "ServingModel",
    "SteeringCursor", "Team", "Ticket", "TraceEvent", "Transfer", "WorkBasket",
]
