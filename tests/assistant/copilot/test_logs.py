import logging

from assistant.copilot.logs import RedactSecrets, redact


def test_tokens_in_urls_and_headers_are_masked() -> None:
    assert redact('"WebSocket /ws/panel?token=eyJhbGciOi.x.y&call_id=c1" [accepted]') == \
        '"WebSocket /ws/panel?token=***&call_id=c1" [accepted]'
    assert redact("Authorization: Bearer eyJ0eXAi.abc.def") == "Authorization: Bearer ***"
    assert redact("GET /api/customers?name=martin") == "GET /api/customers?name=martin"


def test_the_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5000", "/ws/bridge?token=s3cret"), None)
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == '127.0.0.1:5000 - "WebSocket /ws/bridge?token=***" [accepted]'
