"""The permission vocabulary and the role matrix (docs/permissions.md is tested against this file).

Permissions are named strings in Django's `app.codename` form, so that Django's admin, which asks
for `crm.view_customer` and friends, follows the same matrix as Hotline's own screens and API.
A user's permissions come from their role alone (see `RoleBackend`); superusers have all.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person does in the call center; decides what they may see and do."""

    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class Perm(StrEnum):
    """Everything that is checked. Values are Django permission names."""

    # customers
    VIEW_CUSTOMER = "crm.view_customer"
    ADD_CUSTOMER = "crm.add_customer"
    CHANGE_CUSTOMER = "crm.change_customer"
    DELETE_CUSTOMER = "crm.delete_customer"
    IMPORT_CUSTOMERS = "crm.import_customer"
    EXPORT_CUSTOMERS = "crm.export_customer"  # the whole base in one file, and the API's customer list unfiltered
    VIEW_BLACKLIST = "crm.view_blacklistentry"
    REPORT_NUMBER = "crm.report_number"
    MANAGE_BLACKLIST = "crm.change_blacklistentry"
    SET_MEMBER_PIN = "crm.set_member_pin"  # with the member on the line (desk) or in the back office (reset)
    # catalog
    VIEW_PRODUCT = "catalog.view_product"
    MANAGE_CATALOG = "catalog.change_product"
    VIEW_COST = "catalog.view_cost"
    # media
    VIEW_MEDIA = "media.view_airing"
    MANAGE_MEDIA = "media.change_airing"
    VIEW_SPEND = "media.view_spend"
    # orders
    VIEW_ORDER = "orders.view_order"
    SEND_ORDER_STATUS = "orders.send_order_status"  # "where is my order?": the status by SMS from the desk
    CREATE_ORDER = "orders.add_order"
    EDIT_ORDER = "orders.change_order"
    CANCEL_ORDER = "orders.cancel_order"
    CHANGE_ANY_ORDER = "orders.change_any_order"  # without it, edit and cancel only the orders you took
    REVIEW_ORDER = "orders.review_order"
    SHIP_ORDER = "orders.ship_order"
    RECORD_DELIVERY = "orders.record_delivery"
    HANDLE_RETURN = "orders.handle_return"
    SETTLE_ORDER = "orders.settle_order"
    VIEW_SETTLEMENT = "orders.view_settlement"
    # logistics: the workbench, couriers and their rules, stock, order tasks on the desk
    VIEW_LOGISTICS = "logistics.view_shipment"  # the workbench, shipments, tracking, batches
    MANAGE_COURIERS = "logistics.change_courier"  # couriers, coverage, fee tables, forms, feedback columns
    ADJUST_STOCK = "logistics.add_stockmovement"  # goods received and stock counts
    WORK_ORDER_TASKS = "logistics.change_ordertask"  # rescue calls, risk confirmations, orders sent back
    # finance: money rows, remittances, open items, the daily close
    VIEW_FINANCE = "finance.view_payment"  # the finance workbench, receivables, statements, the daily close
    RECORD_PAYMENT = "finance.add_payment"  # payments and refunds, and their corrections
    RECONCILE = "finance.add_remittancestatement"  # remittance statements, freight bills, open items
    CLOSE_DAY = "finance.add_dailyclose"
    # telephony and floor
    TAKE_CALLS = "calls.take_calls"
    SUPERVISE_CALLS = "calls.supervise_calls"
    # reports, notifications, administration
    VIEW_REPORTS = "reports.view_reports"
    VIEW_NOTIFICATIONS = "notify.view_notification"
    SEND_NOTIFICATIONS = "notify.change_notification"  # send a message again; record or lift an SMS opt-out
    MANAGE_USERS = "accounts.change_user"
    VIEW_AUDIT = "accounts.view_auditentry"
    USE_API = "accounts.use_api"
    # call records, call events and recordings (back office, read-only)
    VIEW_CALLS = "calls.view_callrecord"
    # callbacks and voicemail: agents work callbacks; supervisors handle voicemail
    VIEW_CALLBACK = "calls.view_callback"
    VIEW_VOICEMAIL = "calls.view_voicemail"
    HANDLE_VOICEMAIL = "calls.change_voicemail"
    DOWNLOAD_VOICEMAIL = "calls.download_voicemail"
    # customer service: scripts, complaints, messages between agents and supervisors
    VIEW_SCRIPT = "service.view_script"
    MANAGE_SCRIPTS = "service.change_script"
    VIEW_COMPLAINT = "service.view_complaint"
    OPEN_COMPLAINT = "service.add_complaint"
    HANDLE_COMPLAINT = "service.change_complaint"
    SEND_MESSAGE = "service.add_message"
    # complaints' categories and departments (company data), the floor's bulletin board
    MANAGE_COMPLAINT_SETUP = "service.change_category"
    POST_NOTICE = "service.add_notice"
    # knowledge base: everyone reads and counts; supervisors write, review and publish
    VIEW_ARTICLE = "kb.view_article"
    CHANGE_ARTICLE = "kb.change_article"
    PUBLISH_ARTICLE = "kb.publish_article"

    # customer care: lists, criteria, greetings and promotions (supervisors); care calls (agents)
    MANAGE_CARE = "crm.change_carecriteria"
    WORK_CARE_TASKS = "crm.change_caretask"
    # outbound campaigns: supervisors build and run them, agents call; results for those who read reports
    VIEW_CAMPAIGNS = "campaigns.view_campaign"
    MANAGE_CAMPAIGNS = "campaigns.change_campaign"
    WORK_CAMPAIGNS = "campaigns.change_contact"

# Django's admin asks for view/add/change/delete per model; these grant them along with Hotline's perms.
_ADMIN_READ = {
    "catalog.view_supplier", "catalog.view_giftrule", "catalog.view_crosssell",
    "media.view_station", "media.view_hotlinenumber", "crm.view_customerphone", "crm.view_address",
    "orders.view_orderline", "orders.view_orderstatuschange",
}  # fmt: skip
_CATALOG_WRITE = {
    f"catalog.{verb}_{model}" for verb in ("add", "change", "delete") for model in
    ("product", "supplier", "giftrule", "crosssell")
}  # fmt: skip
_MEDIA_WRITE = {
    f"media.{verb}_{model}" for verb in ("add", "change", "delete") for model in
    ("airing", "station", "hotlinenumber")
}  # fmt: skip
# Stored IVR flows and prompts (hotline.ivrdata): administrators only.
_IVR_ADMIN = {
    f"ivrdata.{verb}_{model}" for verb in ("view", "add", "change", "delete") for model in ("ivrflow", "ivrprompt")
}  # fmt: skip

_AGENT = {
    Perm.VIEW_CUSTOMER, Perm.ADD_CUSTOMER, Perm.CHANGE_CUSTOMER, Perm.REPORT_NUMBER, Perm.VIEW_PRODUCT,
    Perm.VIEW_MEDIA, Perm.VIEW_ORDER, Perm.CREATE_ORDER, Perm.EDIT_ORDER, Perm.CANCEL_ORDER, Perm.TAKE_CALLS,
    Perm.USE_API,
}  # fmt: skip
_SUPERVISOR = _AGENT | {Perm.VIEW_BLACKLIST, Perm.MANAGE_BLACKLIST, Perm.SUPERVISE_CALLS, Perm.VIEW_REPORTS,
                        Perm.VIEW_NOTIFICATIONS, Perm.HANDLE_RETURN, Perm.CHANGE_ANY_ORDER}
_LOGISTICS = {
    Perm.VIEW_LOGISTICS, Perm.MANAGE_COURIERS, Perm.ADJUST_STOCK,
    Perm.VIEW_CUSTOMER, Perm.VIEW_PRODUCT, Perm.VIEW_ORDER, Perm.EDIT_ORDER, Perm.CANCEL_ORDER,
    Perm.CHANGE_ANY_ORDER, Perm.REVIEW_ORDER, Perm.SHIP_ORDER, Perm.RECORD_DELIVERY, Perm.HANDLE_RETURN,
    Perm.VIEW_NOTIFICATIONS, Perm.USE_API,
}  # fmt: skip
_FINANCE = {
    Perm.VIEW_CUSTOMER, Perm.VIEW_PRODUCT, Perm.VIEW_COST, Perm.VIEW_MEDIA, Perm.VIEW_SPEND, Perm.VIEW_ORDER,
    Perm.SETTLE_ORDER, Perm.VIEW_SETTLEMENT, Perm.VIEW_REPORTS, Perm.USE_API,
}  # fmt: skip
_MANAGER = {
    Perm.VIEW_CUSTOMER, Perm.VIEW_BLACKLIST, Perm.VIEW_PRODUCT, Perm.VIEW_COST, Perm.VIEW_MEDIA, Perm.VIEW_SPEND,
    Perm.VIEW_ORDER, Perm.VIEW_SETTLEMENT, Perm.VIEW_REPORTS, Perm.VIEW_NOTIFICATIONS, Perm.VIEW_AUDIT,
    Perm.USE_API, Perm.EXPORT_CUSTOMERS,
}  # fmt: skip
_SUPERVISOR |= {Perm.VIEW_CALLS}
_MANAGER |= {Perm.VIEW_CALLS, Perm.VIEW_LOGISTICS}
# Agents make the calls logistics asks for (rescue a refusal, confirm a risky order); supervisors too.
_AGENT |= {Perm.WORK_ORDER_TASKS}
_SUPERVISOR |= {Perm.WORK_ORDER_TASKS, Perm.VIEW_LOGISTICS}
_FINANCE |= {Perm.VIEW_LOGISTICS, Perm.VIEW_FINANCE, Perm.RECORD_PAYMENT, Perm.RECONCILE, Perm.CLOSE_DAY}
_MANAGER |= {Perm.VIEW_FINANCE}  # managers see the money; finance records it
_AGENT |= {Perm.VIEW_CALLBACK, Perm.VIEW_VOICEMAIL}
_SUPERVISOR |= {Perm.VIEW_CALLBACK, Perm.VIEW_VOICEMAIL, Perm.HANDLE_VOICEMAIL}
_MANAGER |= {Perm.VIEW_CALLBACK, Perm.VIEW_VOICEMAIL}
# Agents read scripts, open complaints and message; supervisors also edit scripts and close complaints.
_AGENT |= {Perm.VIEW_SCRIPT, Perm.VIEW_COMPLAINT, Perm.OPEN_COMPLAINT, Perm.SEND_MESSAGE}
_SUPERVISOR |= {Perm.VIEW_SCRIPT, Perm.MANAGE_SCRIPTS, Perm.VIEW_COMPLAINT, Perm.OPEN_COMPLAINT,
                Perm.HANDLE_COMPLAINT, Perm.SEND_MESSAGE}
_MANAGER |= {Perm.VIEW_SCRIPT, Perm.VIEW_COMPLAINT}
# Supervisors keep the complaint categories and departments and post notices on the floor's board.
_SUPERVISOR |= {Perm.MANAGE_COMPLAINT_SETUP, Perm.POST_NOTICE}
_COMPLAINT_SETUP = {f"service.{verb}_{model}" for verb in ("view", "add") for model in ("category", "department")
                    } | {"service.change_department"}  # fmt: skip
# Every role reads the knowledge base; supervisors (and admins) write, review and publish it and keep its
# category tree in the back office.
_KB_CATEGORIES = {f"kb.{verb}_category" for verb in ("view", "add", "change", "delete")}
_AGENT |= {Perm.VIEW_ARTICLE}
_SUPERVISOR |= {Perm.VIEW_ARTICLE, Perm.CHANGE_ARTICLE, Perm.PUBLISH_ARTICLE}
_LOGISTICS |= {Perm.VIEW_ARTICLE}
_FINANCE |= {Perm.VIEW_ARTICLE}
_MANAGER |= {Perm.VIEW_ARTICLE}
_IVR_ADMIN |= _KB_CATEGORIES  # administrators keep the category tree too
# Member PINs are set with the customer on the line; the order status goes out by SMS from the desk.
_AGENT |= {Perm.SET_MEMBER_PIN, Perm.SEND_ORDER_STATUS}
_SUPERVISOR |= {Perm.SET_MEMBER_PIN, Perm.SEND_ORDER_STATUS, Perm.DOWNLOAD_VOICEMAIL}
_MANAGER |= {Perm.DOWNLOAD_VOICEMAIL}
# Whoever watches the outbox on /notify/ sends a message again and records opt-outs; managers only read it.
_SUPERVISOR |= {Perm.SEND_NOTIFICATIONS}
_LOGISTICS |= {Perm.SEND_NOTIFICATIONS}
# The back office's logistics pages: whoever sees the workbench reads them; whoever manages couriers edits
# couriers, their fee rates, coverage and shipping forms (the rest is read-only there, written by the workbench).
_LOGISTICS_READ = {
    f"logistics.view_{model}" for model in
    ("courier", "feerate", "coverage", "formtemplate", "dispatchbatch", "stockmovement", "returnreceipt", "ordertask")
}  # fmt: skip
_COURIERS_WRITE = {
    f"logistics.{verb}_{model}" for verb in ("add", "change", "delete") for model in
    ("courier", "feerate", "coverage", "formtemplate")
} - {Perm.MANAGE_COURIERS.value}  # fmt: skip
_ADMIN = set(Perm) - {Perm.TAKE_CALLS}
# Scripts are kept in the back office by supervisors and admins; call notes and messages are browsed there.
_SERVICE_WRITE = {"service.add_script", "service.delete_script"}
_SERVICE_READ = {"service.view_callnote", "service.view_message"}
_SERVICE_WRITE |= _COMPLAINT_SETUP  # the back office's category and department pages
_SERVICE_WRITE |= _KB_CATEGORIES  # supervisors keep the knowledge base's category tree too
# Supervisors run customer care (lists, greetings, promotions); agents and supervisors make the care calls.
_SUPERVISOR |= {Perm.MANAGE_CARE, Perm.WORK_CARE_TASKS}
_AGENT |= {Perm.WORK_CARE_TASKS}
# Supervisors build and run campaigns; agents (and supervisors) make the calls and flag the survey.
_SUPERVISOR |= {Perm.VIEW_CAMPAIGNS, Perm.MANAGE_CAMPAIGNS, Perm.WORK_CAMPAIGNS}
_AGENT |= {Perm.WORK_CAMPAIGNS}
_MANAGER |= {Perm.VIEW_CAMPAIGNS}

ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset(_AGENT),
    Role.SUPERVISOR: frozenset(_SUPERVISOR | _SERVICE_WRITE | _SERVICE_READ | _LOGISTICS_READ),
    Role.LOGISTICS: frozenset(_LOGISTICS | _ADMIN_READ | _LOGISTICS_READ | _COURIERS_WRITE),
    Role.FINANCE: frozenset(_FINANCE | _ADMIN_READ | _LOGISTICS_READ),
    Role.MANAGER: frozenset(_MANAGER | _ADMIN_READ | _LOGISTICS_READ | {"service.view_callnote"}),
    Role.ADMIN: frozenset(
        _ADMIN | _ADMIN_READ | _CATALOG_WRITE | _MEDIA_WRITE | _IVR_ADMIN | _SERVICE_WRITE | _SERVICE_READ
        | _LOGISTICS_READ | _COURIERS_WRITE
        | {"crm.add_blacklistentry", "crm.delete_blacklistentry", "accounts.add_user", "accounts.view_user",
           "accounts.view_apitoken", "accounts.add_apitoken", "accounts.delete_apitoken",
           "crm.change_customerphone", "crm.add_customerphone", "crm.delete_customerphone",
           "crm.change_address", "crm.add_address", "crm.delete_address"}
    ),
}

# Roles that work in the back office (Django admin); agents and supervisors work at the desk.
STAFF_ROLES = frozenset({Role.LOGISTICS, Role.FINANCE, Role.MANAGER, Role.ADMIN, Role.SUPERVISOR})


def role_has(role: str, perm: str) -> bool:
    """Whether the role grants the permission."""
    return perm in ROLE_PERMS.get(role, frozenset())


def require_perm(actor: object, perm: Perm) -> None:
    """Refuse an actor without the permission (PermissionDenied); None is the system acting (imports, the
    courier push API, the engine), which the actions let through."""
    if actor is not None and not actor.has_perm(perm):  # type: ignore[attr-defined]
        raise PermissionDenied(gettext("You do not have permission to do this."))
