"""The engine's `CampaignStore` port on the campaigns app: running progressive campaigns and their due
contacts, the contacts' changes, the airings coming up, survey consent and answers. Each method runs in
Django's sync thread, so the engine's loop never blocks on the database."""

from __future__ import annotations

import datetime

from asgiref.sync import sync_to_async

from hotline.calls.callback_actions import upcoming_airing_starts
from hotline.campaigns import actions
from hotline.campaigns.lists import excluded_numbers
from hotline.campaigns.models import Campaign, CampaignStatus, ContactStatus, Mode, SurveyConsent, VoiceCall
from hotline.campaigns.voice import do_record_voice_call
from hotline.telephony.ports import (
    CampaignChange,
    CampaignContactDue,
    RunningCampaign,
    SurveyAnswer,
    VoiceNotice,
    VoiceNoticeResult,
)

# Contacts the engine may still be dialling: listed again after a restart (a dial that never reported its
# result is due again; the attempt it counted stays counted).
ENGINE_LIVE = (ContactStatus.PENDING, ContactStatus.RESERVED, ContactStatus.DIALLING)


def running_campaigns() -> list[RunningCampaign]:
    """Running progressive campaigns with their live contacts; numbers blacklisted or opted out since the
    list was loaded are left out."""
    found = []
    for campaign in Campaign.objects.filter(status=CampaignStatus.RUNNING, mode=Mode.PROGRESSIVE).order_by("id"):
        contacts = list(campaign.contacts.filter(status__in=ENGINE_LIVE).order_by("id")
                        .values_list("id", "number", "attempts", "not_before"))
        excluded = excluded_numbers(number for _i, number, _a, _n in contacts)
        due = tuple(CampaignContactDue(contact_id, number, attempts, not_before)
                    for contact_id, number, attempts, not_before in contacts if number not in excluded)
        found.append(RunningCampaign(
            campaign_id=campaign.pk, queue=campaign.queue, window_start=campaign.window_start,
            window_end=campaign.window_end, retry_interval_seconds=campaign.retry_minutes * 60.0,
            max_attempts=campaign.max_attempts, contacts=due))
    return found


def voice_notices() -> list[VoiceNotice]:
    """Voice notifications waiting for the engine (first call or a retry)."""
    return [VoiceNotice(call.pk, call.number, tuple(call.prompts), call.attempts, call.max_attempts,
                        call.retry_minutes * 60.0, call.not_before)
            for call in VoiceCall.objects.filter(status__in=("queued", "retry")).order_by("id")[:200]]


def record_voice_notice(result: VoiceNoticeResult) -> None:
    do_record_voice_call(result.notice_id, status=result.status, attempts=result.attempts, result=result.result,
                         call_id=result.call_id, not_before=result.not_before, actor=None)


def record_change(change: CampaignChange) -> None:
    actions.do_record_contact_change(
        change.contact_id, kind=change.kind, status=change.status, attempts=change.attempts, at=change.at,
        agent=change.agent, result=change.result, not_before=change.not_before, call_id=change.call_id,
        detail=change.detail, actor=None)


class OrmCampaignStore:
    """`hotline.telephony.ports.CampaignStore` on the campaigns app; writes as the system (actor None)."""

    async def running(self, now: datetime.datetime) -> list[RunningCampaign]:
        return await sync_to_async(running_campaigns, thread_sensitive=True)()

    async def record(self, change: CampaignChange) -> None:
        await sync_to_async(record_change, thread_sensitive=True)(change)

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        return await sync_to_async(upcoming_airing_starts, thread_sensitive=True)(now, within_seconds)

    async def survey_wanted(self, call_id: str) -> bool:
        return await sync_to_async(SurveyConsent.objects.filter(call_id=call_id).exists, thread_sensitive=True)()

    async def record_survey(self, answer: SurveyAnswer) -> None:
        await sync_to_async(actions.do_record_survey, thread_sensitive=True)(
            answer.call_id, agent=answer.agent, queue=answer.queue, score=answer.score, at=answer.at, actor=None)

    async def voice_notices(self) -> list[VoiceNotice]:
        return await sync_to_async(voice_notices, thread_sensitive=True)()

    async def record_voice_notice(self, result: VoiceNoticeResult) -> None:
        await sync_to_async(record_voice_notice, thread_sensitive=True)(result)
