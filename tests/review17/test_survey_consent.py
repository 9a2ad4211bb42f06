"""Review of issue 17: an agent flags the post-call survey only on a call of their own (a supervisor on any)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hotline.calls.models import CallRecord
from hotline.campaigns import actions
from hotline.campaigns.models import SurveyConsent
from tests import factories


def call_of(agent_key: str) -> CallRecord:
    return CallRecord.objects.create(call_id=f"call-{agent_key}", caller="13800138000", agent_key=agent_key,
                                     arrived_at=timezone.now())


@pytest.mark.django_db
def test_an_agent_cannot_flag_the_survey_on_a_colleagues_call(users: dict[str, Any], english: None) -> None:
    colleague = factories.make_user("agent", username="colleague")
    theirs = call_of(colleague.username)
    with pytest.raises(ValidationError) as refused:
        actions.do_set_survey_consent(theirs.call_id, actor=users["agent"])
    assert refused.value.message_dict == {"call_id": ["This call is not yours."]}
    assert SurveyConsent.objects.count() == 0


@pytest.mark.django_db
def test_the_agents_own_call_and_a_supervisor_on_any_call(users: dict[str, Any]) -> None:
    mine = call_of(users["agent"].username)
    assert actions.do_set_survey_consent(mine.call_id, actor=users["agent"]).call_id == mine.call_id
    other = call_of("someone-else")
    assert actions.do_set_survey_consent(other.call_id, actor=users["supervisor"]).call_id == other.call_id
    # a call the web side has not recorded yet (the engine writes it as it goes) is taken as the agent says
    assert actions.do_set_survey_consent("call-not-yet-written", actor=users["agent"]).call_id \
        == "call-not-yet-written"
    assert SurveyConsent.objects.count() == 3
