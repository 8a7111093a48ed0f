import re
from urllib.parse import parse_qs, urlsplit

from django.core import mail

LINK = re.compile(r"https://app\.example\.com/\S+")


def link_in(message) -> tuple[str, dict[str, str]]:
    """The front-end link in an e-mail's text part, checked to be the same in the HTML part."""
    (url,) = LINK.findall(message.body)
    html = message.alternatives[0].content
    assert url.replace("&", "&amp;") in html
    parts = urlsplit(url)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def last_link_to(email: str) -> tuple[str, dict[str, str]]:
    messages = [m for m in mail.outbox if m.to == [email]]
    assert messages, f"no e-mail to {email}"
    return link_in(messages[-1])
