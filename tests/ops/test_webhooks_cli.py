"""An administrator at a terminal subscribes a receiver with a fresh signing secret; a wrong setup is
refused with the reason and exit status 2."""

from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.provision import ensure_resources
from chalicelib.settings import get_settings
from ops.webhooks import main

NAME = "service-desk/webhook/erp"


def add(url: str, event: str = "ticket.opened", secret: str = NAME) -> int:
    return main(["add", "--name", "ERP", "--url", url, "--event", event, "--secret-name", secret])


def test_a_receiver_is_subscribed_with_a_new_secret_listed_and_removed(capsys):
    with mock_aws():
        ensure_resources(get_settings())
        wiring.reset()
        assert main(["secret", "--secret-name", NAME]) == 0
        assert "shown once" in capsys.readouterr().out
        assert add("https://erp.example.com/h", "ticket.closed") == 0
        subscription = capsys.readouterr().out.split()[1].rstrip(":")
        assert main(["list"]) == 0
        assert "ticket.closed" in capsys.readouterr().out
        assert main(["log", subscription]) == 0
        assert main(["remove", subscription]) == 0
        assert main(["remove", subscription]) == 2
        wiring.reset()


def test_a_plain_http_url_or_a_missing_secret_is_refused_with_the_reason(capsys):
    with mock_aws():
        ensure_resources(get_settings())
        wiring.reset()
        assert add("http://erp.example.com/h") == 2
        assert "https" in capsys.readouterr().err
        assert add("https://erp.example.com/h") == 2
        assert "cannot be read" in capsys.readouterr().err
        assert main(["secret", "--secret-name", "service-desk/chat/x"]) == 2
        wiring.reset()
