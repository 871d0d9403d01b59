"""config.toml for the facebook_page and webhook kinds: targets, variable names, [facebook], [webhook]."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaign.config import load_config
from campaign.errors import ConfigError
from tests.campaign.test_config import line_of
from tests.conftest import CONFIG, Campaign

GOOD = CONFIG + '''
[channels.fanpage]
kind = "facebook_page"
target = "104512345678901"
label = "Fanpage Sở"
token_env = "SO_FB_TOKEN"

[channels.portal]
kind = "webhook"
target = "https://cong.example.gov.vn/loa/webhook"
label = "Cổng TTĐT"
secret_env = "PORTAL_SECRET"
'''


def problems(campaign: Campaign, text: str) -> list[str]:
    campaign.config_path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(campaign.config_path, env={})
    return [str(p) for p in e.value.problems]


def test_both_kinds_load_with_their_variables_and_defaults(campaign: Campaign) -> None:
    campaign.config_path.write_text(GOOD + '\n[facebook]\ngraph_version = "v22.0"\napi_base = "http://127.0.0.1:9/"\n'
                                    '\n[webhook]\ntimeout = "5s"\n', encoding="utf-8")
    cfg = load_config(campaign.config_path, env={})
    fan, portal = cfg.channels["fanpage"], cfg.channels["portal"]
    assert (fan.kind, fan.target, fan.token_env) == ("facebook_page", "104512345678901", "SO_FB_TOKEN")
    assert (portal.kind, portal.secret_env) == ("webhook", "PORTAL_SECRET")
    assert cfg.facebook.graph_version == "v22.0" and cfg.facebook.api_base == "http://127.0.0.1:9"
    assert cfg.webhook.timeout == timedelta(seconds=5)
    campaign.config_path.write_text(GOOD.replace('token_env = "SO_FB_TOKEN"\n', "").replace(
        'secret_env = "PORTAL_SECRET"\n', ""), encoding="utf-8")
    cfg = load_config(campaign.config_path, env={})
    assert cfg.channels["fanpage"].token_env == "FACEBOOK_PAGE_TOKEN"
    assert cfg.channels["portal"].secret_env == "LOA_WEBHOOK_SECRET"
    assert cfg.facebook.graph_version == "v21.0" and cfg.facebook.api_base == "https://graph.facebook.com"


@pytest.mark.parametrize(("old", "new", "needle", "says"), [
    ('target = "104512345678901"', 'target = "so.thongtin"', "so.thongtin", "Page's numeric id"),
    ('target = "https://cong.example.gov.vn/loa/webhook"', 'target = "cong.example.gov.vn"', "cong.example.gov.vn",
     "receiver's http:// or https:// URL"),
    ('token_env = "SO_FB_TOKEN"', 'token_env = "EAAB-the-token-itself"', "EAAB", "NAME of an environment variable"),
    ('secret_env = "PORTAL_SECRET"', 'secret_env = "a secret"', "a secret", "NAME of an environment variable"),
    ('label = "Cổng TTĐT"', 'label = "Cổng TTĐT"\ntoken_env = "X"', 'token_env = "X"', "unknown key 'channels.portal.token_env'"),
])
def test_bad_values_name_their_line(campaign: Campaign, old: str, new: str, needle: str, says: str) -> None:
    text = GOOD.replace(old, new)
    [problem] = problems(campaign, text)
    assert problem.startswith(f"{campaign.config_path}:{line_of(text, needle)}:") and says in problem


def test_bad_graph_version_and_timeout(campaign: Campaign) -> None:
    text = GOOD + '\n[facebook]\ngraph_version = "21"\n\n[webhook]\ntimeout = "0s"\n'
    found = problems(campaign, text)
    assert any(p.startswith(f"{campaign.config_path}:{line_of(text, 'graph_version')}:") and "v21.0" in p for p in found)
    assert any(p.startswith(f"{campaign.config_path}:{line_of(text, 'timeout =')}:") and "at least 1s" in p for p in found)


def test_loa_check_knows_what_a_fanpage_takes(campaign: Campaign) -> None:
    from campaign.content import scan_content
    from tests.conftest import post_text

    campaign.config_path.write_text(GOOD, encoding="utf-8")
    (campaign.content / "img").mkdir()
    (campaign.content / "img" / "plan.pdf").write_bytes(b"%PDF-1.4")
    (campaign.content / "img" / "big.png").write_bytes(b"\x89PNG" + b"\0" * 4_000_001)
    campaign.write("a.md", post_text(channels="[fanpage]", media='["img/plan.pdf", "img/big.png"]'))
    campaign.write("b.md", post_text(channels="[portal]", media='["img/plan.pdf"]', body="x" * 70_000))
    campaign.write("c.md", post_text(channels="[fanpage]", body="x" * 70_000))
    found = [str(p) for p in scan_content(load_config(campaign.config_path, env={})).problems]
    assert any("a.md" in p and "Facebook Page takes only .jpg/.jpeg/.png/.gif images, not media 'img/plan.pdf'" in p
               for p in found)
    assert any("a.md" in p and "media 'img/big.png' too large (4000005 bytes, limit 4000000)" in p for p in found)
    assert any("c.md" in p and "Facebook Page text is 70005 characters, limit 63206" in p for p in found)
    assert not [p for p in found if "b.md" in p]  # a webhook takes any file and any length
