"""Runs in the Rasa runtime (make test runs it there); skipped in the app runtime. The channel's refusals
of unsigned messages are replayed against the real Rasa server in tests/security/test_copilot_path.py."""

import pytest

pytest.importorskip("rasa")

from rasa.core.channels.channel import InputChannel  # noqa: E402

from nlu.channels.copilot import CopilotInput  # noqa: E402


@pytest.mark.parametrize("credentials", [None, {}, {"secret": ""}, {"secret": "short"}, {"secret": "${UNSET}"}])
def test_the_channel_refuses_to_start_without_a_real_secret(credentials: dict | None) -> None:
    with pytest.raises(ValueError, match="COPILOT_INTERNAL_SECRET"):
        CopilotInput.from_credentials(credentials)


def test_the_channel_is_a_rasa_input_channel_named_copilot() -> None:
    channel = CopilotInput.from_credentials({"secret": "s" * 40})
    assert isinstance(channel, InputChannel) and channel.name() == "copilot"
    blueprint = channel.blueprint(lambda message: None)  # type: ignore[arg-type,return-value]
    assert blueprint.name == "copilot_webhook"



def test_the_channel_has_the_signed_parse_of_a_call_reason() -> None:
    blueprint = CopilotInput.from_credentials({"secret": "s" * 40}).blueprint(lambda m: None)  # type: ignore[arg-type,return-value]
    assert {route.uri for route in blueprint._future_routes} >= {"/webhook", "/parse"}  # noqa: SLF001
