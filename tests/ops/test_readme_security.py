"""The README's Security section says what the code enforces: every setting production
refuses to start without, and every host credentials may be sent to."""

from __future__ import annotations

from axconnect.env import REQUIRED_IN_PRODUCTION
from tenants.credential_urls import URL_HOSTS
from tests.support.qcluster import ROOT


def _security_section() -> str:
    readme = (ROOT / "README.md").read_text()
    assert "\n## Security\n" in readme
    return readme.split("\n## Security\n", 1)[1].split("\n## ", 1)[0]


def test_it_names_every_setting_production_requires():
    section = _security_section()
    assert [name for name in REQUIRED_IN_PRODUCTION if f"`{name}`" not in section] == []


def test_it_names_every_host_credentials_may_go_to():
    section = _security_section()
    hosts = {host for fields in URL_HOSTS.values() for allowed in fields.values()
             for host in allowed}
    assert sorted(host for host in hosts if f"`{host}`" not in section) == []
