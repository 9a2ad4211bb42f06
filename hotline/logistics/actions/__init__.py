"""Every write of logistics (ARCHITECTURE rule 1), one module per stage of a parcel's life."""

from hotline.logistics.actions.coverage import do_issue_courier_keys, do_save_courier, do_save_coverage
from hotline.logistics.actions.events import EventConflict, EventOutcome, check_event, do_record_shipment_event
from hotline.logistics.actions.feedback import FeedbackEvent, FeedbackResult, check_feedback, do_apply_feedback
from hotline.logistics.actions.returns import ReturnedGoods, do_receive_return
from hotline.logistics.actions.review import ReviewResult, do_change_courier, do_review_orders, do_send_back_order
from hotline.logistics.actions.shipping import (
    BulkShipResult,
    do_create_batches,
    do_log_print,
    do_ship_parcel,
    do_ship_parcels,
    normal_tracking_number,
)
from hotline.logistics.actions.stock import do_count_stock, do_receive_stock, stock_on_hand
from hotline.logistics.actions.tasks import do_complete_task

__all__ = [
    "BulkShipResult", "EventConflict", "EventOutcome", "FeedbackEvent", "FeedbackResult", "ReturnedGoods",
    "ReviewResult", "check_event", "check_feedback", "do_apply_feedback", "do_change_courier", "do_complete_task",
    "do_count_stock", "do_create_batches", "do_issue_courier_keys", "do_log_print", "do_receive_return",
    "do_receive_stock", "do_record_shipment_event", "do_review_orders", "do_save_courier", "do_save_coverage",
    "do_send_back_order", "do_ship_parcel", "do_ship_parcels", "normal_tracking_number", "stock_on_hand",
]
