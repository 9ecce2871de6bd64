"""The personal check-in link stores one check-in per slot and is rate-limited (security review,
point 11: 30 check-ins in a row used to store 30 rows and raise 60 alerts)."""

import pytest
from django.test import Client

from epigrid.core.models import AuditEvent
from epigrid.health.models import Alert, CheckIn
from epigrid.health.services import checkin_link_token


@pytest.fixture
def token(observation, gridworker):
    return checkin_link_token(actor=gridworker, uid=observation.uid)


def test_thirty_submissions_store_one_check_in_and_are_cut_off(settings, observation, token):
    settings.CHECKIN_LINK_RATE_PER_HOUR = 12
    client = Client(REMOTE_ADDR="10.1.2.3")
    statuses = [client.post(f"/c/{token}/", {"temperature": "38.6", "slot": "am", "symptoms": ["cough"],
                                             "client_id": f"link-spam-{i:04d}"}).status_code for i in range(30)]
    assert statuses[:12] == [200] * 12 and set(statuses[12:]) == {429}
    assert CheckIn.objects.filter(observation=observation).count() == 1
    assert Alert.objects.filter(observation=observation).count() == 2  # one fever, one symptom
    assert AuditEvent.objects.filter(action="checkin.replace").count() == 11
    # Another device does not get round it: the limit is per link.
    assert Client(REMOTE_ADDR="10.9.9.9").post(f"/c/{token}/", {
        "temperature": "36.5", "slot": "pm", "client_id": "link-other-0001"}).status_code == 429
