"""Tests for campaign.render: Markdown → Telegram HTML / plain text and limits.

These pin down the exact output because Telegram rejects a whole message on a
single bad tag, and operators rely on the length messages to fix posts.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from campaign.render import (
    TELEGRAM_ALLOWED_TAGS,
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    ZALO_TEXT_LIMIT,
    Rendered,
    check_fits,
    render_markdown,
    telegram_visible_length,
)

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
    "a", "code", "pre", "blockquote", "tg-spoiler",
}  # fmt: skip


class _TagAudit(HTMLParser):
    """Records every tag/attribute and checks open/close nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> with stack {self.stack}")
        else:
            self.stack.pop()


def _audit(html: str) -> _TagAudit:
    audit = _TagAudit()
    audit.feed(html)
    audit.close()
    return audit


def _r(body: str, title: str | None = None) -> Rendered:
    return render_markdown(body, title=title)


# --------------------------------------------------------------------------- #
# Telegram HTML + plain text, per construct
# --------------------------------------------------------------------------- #


def test_allowed_tags_constant_matches_spec() -> None:
    assert TELEGRAM_ALLOWED_TAGS == ALLOWED_TAGS


def test_heading_becomes_bold_line() -> None:
    r = _r("# Khuyến mãi\n\nNội dung")
    assert r.telegram_html == "<b>Khuyến mãi</b>\n\nNội dung"
    assert r.plain == "Khuyến mãi\n\nNội dung"


def test_setext_and_deep_headings() -> None:
    r = _r("Title\n=====\n\n### Sub *x*")
    assert r.telegram_html == "<b>Title</b>\n\n<b>Sub <i>x</i></b>"
    assert r.plain == "Title\n\nSub x"


def test_bold_italic_strike() -> None:
    r = _r("**đậm** *nghiêng* _cũng nghiêng_ __đậm2__ ~~gạch~~ ***cả hai***")
    assert r.telegram_html == (
        "<b>đậm</b> <i>nghiêng</i> <i>cũng nghiêng</i> <b>đậm2</b> <s>gạch</s> <i><b>cả hai</b></i>"
    )
    assert r.plain == "đậm nghiêng cũng nghiêng đậm2 gạch cả hai"


def test_paragraphs_separated_by_blank_line_softbreak_kept() -> None:
    r = _r("dòng 1\ndòng 2\n\n\n\nđoạn 2")
    assert r.telegram_html == "dòng 1\ndòng 2\n\nđoạn 2"
    assert r.plain == "dòng 1\ndòng 2\n\nđoạn 2"


def test_hard_break_is_newline() -> None:
    r = _r("một  \nhai\\\nba")
    assert r.telegram_html == "một\nhai\nba"
    assert r.plain == "một\nhai\nba"


def test_horizontal_rule() -> None:
    r = _r("trên\n\n---\n\ndưới")
    assert r.telegram_html == "trên\n\n———\n\ndưới"
    assert r.plain == "trên\n\n———\n\ndưới"


@pytest.mark.parametrize(
    "href",
    [
        "https://example.com/a?b=1",
        "http://example.com",
        "tg://resolve?domain=loa_bot",
        "mailto:hi@example.com",
    ],
)
def test_allowed_links(href: str) -> None:
    r = _r(f"Xem [tại đây]({href})")
    assert r.telegram_html == f'Xem <a href="{href}">tại đây</a>'
    assert r.plain == f"Xem tại đây ({href})"


@pytest.mark.parametrize(
    "href",
    ["ftp://example.com/file", "/relative/path", "page.html", "#anchor", "http:no-host"],
)
def test_disallowed_link_scheme_is_plain_text(href: str) -> None:
    r = _r(f"Xem [tại đây]({href}) nhé")
    assert r.telegram_html == "Xem tại đây nhé"
    assert r.plain == "Xem tại đây nhé"
    assert "<a" not in r.telegram_html


def test_javascript_link_never_becomes_a_link() -> None:
    r = _r("[bấm](javascript:alert(1))")
    assert "<a" not in r.telegram_html
    assert "javascript" not in _audit(r.telegram_html).tags.__repr__()


def test_link_href_quotes_and_ampersands_escaped() -> None:
    r = _r('[x](https://a.example/?q=1&r=2 "tiêu đề")')
    assert r.telegram_html == '<a href="https://a.example/?q=1&amp;r=2">x</a>'
    audit = _audit(r.telegram_html)
    assert audit.tags == [("a", [("href", "https://a.example/?q=1&r=2")])]


def test_attribute_double_quote_is_escaped() -> None:
    # markdown-it percent-encodes quotes in URLs, so exercise the escaping
    # helper through a language name instead: it must never break out.
    r = _r('```py"onload\ncode\n```')
    audit = _audit(r.telegram_html)
    assert all(tag in ALLOWED_TAGS for tag, _ in audit.tags)
    assert 'onload"' not in r.telegram_html


def test_autolink_and_text_equal_url_not_duplicated_in_plain() -> None:
    r = _r("<https://loa.vn/x> [https://loa.vn/y](https://loa.vn/y) <me@loa.vn>")
    assert r.telegram_html == (
        '<a href="https://loa.vn/x">https://loa.vn/x</a> '
        '<a href="https://loa.vn/y">https://loa.vn/y</a> '
        '<a href="mailto:me@loa.vn">me@loa.vn</a>'
    )
    assert r.plain == "https://loa.vn/x https://loa.vn/y me@loa.vn"


def test_link_with_formatting_and_code_inside() -> None:
    r = _r("[**Mua** `ngay`](https://shop.vn)")
    # Telegram forbids a code entity inside a link, so code becomes text.
    assert r.telegram_html == '<a href="https://shop.vn"><b>Mua</b> ngay</a>'
    assert r.plain == "Mua ngay (https://shop.vn)"


def test_empty_link_text_shows_url() -> None:
    r = _r("[](https://loa.vn)")
    assert r.telegram_html == '<a href="https://loa.vn">https://loa.vn</a>'
    assert r.plain == "https://loa.vn"


def test_image_becomes_alt_text() -> None:
    r = _r("Ảnh: ![Sản phẩm *mới*](https://cdn.vn/a.png)")
    assert r.telegram_html == "Ảnh: Sản phẩm mới"
    assert r.plain == "Ảnh: Sản phẩm mới"


def test_image_only_paragraph_without_alt_disappears() -> None:
    r = _r("Trước\n\n![](a.png)\n\nSau")
    assert r.telegram_html == "Trước\n\nSau"
    assert r.plain == "Trước\n\nSau"


def test_bullet_and_ordered_lists() -> None:
    r = _r("- một\n- hai\n\n1. a\n2. b\n")
    assert r.telegram_html == "• một\n• hai\n\n1. a\n2. b"
    assert r.plain == "• một\n• hai\n\n1. a\n2. b"


def test_ordered_list_keeps_start_number() -> None:
    r = _r("3. ba\n4. bốn")
    assert r.plain == "3. ba\n4. bốn"


def test_nested_lists_are_indented() -> None:
    src = "- cha\n  - con *1*\n  - con 2\n    1. cháu\n- cha 2\n"
    r = _r(src)
    assert r.telegram_html == ("• cha\n  • con <i>1</i>\n  • con 2\n    1. cháu\n• cha 2")
    assert r.plain == "• cha\n  • con 1\n  • con 2\n    1. cháu\n• cha 2"


def test_loose_list_item_with_two_paragraphs() -> None:
    r = _r("1. đầu\n\n   tiếp\n2. hai\n")
    assert r.plain == "1. đầu\n   tiếp\n2. hai"


def test_inline_code() -> None:
    r = _r("Gõ `a < b && c` nhé")
    assert r.telegram_html == "Gõ <code>a &lt; b &amp;&amp; c</code> nhé"
    assert r.plain == "Gõ a < b && c nhé"


def test_fenced_code_with_language() -> None:
    r = _r("```python\nif a < b:\n    print('x & y')\n```")
    assert r.telegram_html == (
        "<pre><code class=\"language-python\">if a &lt; b:\n    print('x &amp; y')</code></pre>"
    )
    assert r.plain == "if a < b:\n    print('x & y')"


def test_fenced_code_without_language_and_indented_code() -> None:
    r = _r("```\n**not bold**\n```\n\n    indented <x>\n")
    assert r.telegram_html == "<pre>**not bold**</pre>\n\n<pre>indented &lt;x&gt;</pre>"
    assert r.plain == "**not bold**\n\nindented <x>"


def test_blockquote() -> None:
    r = _r("> Trích dẫn **hay**\n> dòng 2\n\nSau")
    assert r.telegram_html == "<blockquote>Trích dẫn <b>hay</b>\ndòng 2</blockquote>\n\nSau"
    assert r.plain == "> Trích dẫn hay\n> dòng 2\n\nSau"


def test_nested_blockquote_is_flattened_for_telegram() -> None:
    r = _r("> ngoài\n>\n> > trong")
    assert r.telegram_html == "<blockquote>ngoài\n\ntrong</blockquote>"
    assert r.telegram_html.count("<blockquote>") == 1
    assert r.plain == "> ngoài\n>\n> > trong"


def test_raw_html_is_escaped_not_passed_through() -> None:
    r = _r('<script>alert("x")</script>\n\nChữ <b>đậm</b> & <img src=x onerror=y>')
    assert "&lt;script&gt;" in r.telegram_html
    assert "<script>" not in r.telegram_html
    assert "<b>đậm</b>" not in r.telegram_html
    assert "&lt;b&gt;đậm&lt;/b&gt; &amp; &lt;img" in r.telegram_html
    assert _audit(r.telegram_html).tags == []
    # Plain text is not HTML: show what the author typed.
    assert "<script>" in r.plain
    assert "Chữ <b>đậm</b> & <img src=x onerror=y>" in r.plain


def test_html_entities_in_source_are_decoded_then_reescaped() -> None:
    r = _r("Tom &amp; Jerry &lt;3 &copy;")
    assert r.telegram_html == "Tom &amp; Jerry &lt;3 ©"
    assert r.plain == "Tom & Jerry <3 ©"


def test_vietnamese_and_emoji_untouched() -> None:
    text = "Chúc mừng năm mới! Ưu đãi đặc biệt cho khách hàng thân thiết 🎉🇻🇳👍🏽"
    r = _r(text)
    assert r.telegram_html == text
    assert r.plain == text


def test_tables_are_not_rendered_as_tables() -> None:
    r = _r("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table" not in r.telegram_html
    assert "| a | b |" in r.plain


def test_title_goes_first_as_bold_line() -> None:
    r = _r("Nội dung **chính**", title="Thông báo <mới> & hay")
    assert r.telegram_html == ("<b>Thông báo &lt;mới&gt; &amp; hay</b>\n\nNội dung <b>chính</b>")
    assert r.plain == "Thông báo <mới> & hay\n\nNội dung chính"


def test_title_is_literal_not_markdown() -> None:
    r = _r("x", title="**Giảm giá** 50%")
    assert r.telegram_html == "<b>**Giảm giá** 50%</b>\n\nx"


@pytest.mark.parametrize("title", [None, "", "   "])
def test_missing_or_blank_title_is_ignored(title: str | None) -> None:
    r = _r("Nội dung", title=title)
    assert r == Rendered(telegram_html="Nội dung", plain="Nội dung")


def test_title_with_empty_body() -> None:
    r = _r("", title="Chỉ tiêu đề")
    assert r == Rendered(telegram_html="<b>Chỉ tiêu đề</b>", plain="Chỉ tiêu đề")


def test_empty_body() -> None:
    assert _r("") == Rendered(telegram_html="", plain="")
    assert _r("   \n\n  ") == Rendered(telegram_html="", plain="")


def test_crlf_input() -> None:
    r = _r("# A\r\n\r\n- x\r\n- y\r\n")
    assert r.plain == "A\n\n• x\n• y"


MIXED_DOC = """\
# Khai trương cửa hàng 🎉

Chào **mọi người**, hôm nay _Loa_ có ~~giảm giá~~ **ưu đãi *cực* lớn**!
Xem [chi tiết](https://loa.vn/khai-truong?utm=tg&x=1) hoặc [file](ftp://x/y)
hay <https://t.me/loa> / <hello@loa.vn>.

![Ảnh bìa](https://cdn.loa.vn/cover.jpg "cover")

## Danh sách

- Ưu đãi 1: `MA-GIAM-50`
- Ưu đãi 2
  - Chi tiết *a*
  - Chi tiết [b](tg://resolve?domain=loa)
    1. sâu hơn
- Ưu đãi 3\\
  xuống dòng

3. Bước ba
4. Bước bốn

> Trích dẫn **khách hàng**:
> > lồng nhau `code`
>
> - danh sách trong trích dẫn

```js
const a = "<b>" && 1 > 0;
```

    thụt lề <i>

***

<div class="x"><script>alert(1)</script></div>
<u>gạch chân?</u> <tg-spoiler>spoiler</tg-spoiler> <a href="javascript:x">bad</a>

| bảng | không |
|------|-------|
| 1    | 2     |

Kết thúc & hẹn gặp lại <3 \\*không nghiêng\\*
"""


def test_mixed_document_only_emits_allowed_balanced_tags() -> None:
    r = render_markdown(MIXED_DOC, title="Tiêu đề <b>")
    audit = _audit(r.telegram_html)
    assert audit.errors == []
    assert audit.stack == []
    assert audit.tags, "expected some formatting"
    for tag, attrs in audit.tags:
        assert tag in ALLOWED_TAGS, tag
        names = [name for name, _ in attrs]
        if tag == "a":
            assert names == ["href"]
            href = attrs[0][1] or ""
            assert href.split(":", 1)[0] in {"http", "https", "tg", "mailto"}
        elif tag == "code":
            assert names in ([], ["class"])
            if names:
                assert (attrs[0][1] or "").startswith("language-")
        else:
            assert names == [], (tag, attrs)
    # Raw HTML from the source must be visible as text, never as tags.
    assert "&lt;script&gt;" in r.telegram_html
    assert "&lt;tg-spoiler&gt;" in r.telegram_html
    assert "&lt;u&gt;" in r.telegram_html
    assert r.telegram_html.count("<blockquote>") == 1
    assert "*không nghiêng*" in r.plain
    assert "Khai trương cửa hàng 🎉" in r.plain


def test_mixed_document_plain_has_no_markdown_markers() -> None:
    r = render_markdown(MIXED_DOC)
    assert "**" not in r.plain
    assert "~~" not in r.plain
    assert "](" not in r.plain
    assert "chi tiết (https://loa.vn/khai-truong?utm=tg&x=1)" in r.plain


# --------------------------------------------------------------------------- #
# telegram_visible_length
# --------------------------------------------------------------------------- #


def test_visible_length_strips_tags() -> None:
    assert telegram_visible_length('<b>abc</b> <a href="https://x.y">de</a>') == 6


def test_visible_length_counts_entity_as_one() -> None:
    assert telegram_visible_length("a &amp; b") == 5
    assert telegram_visible_length("&lt;&gt;&quot;&#39;&#x1F600;") == 4 + 2


def test_visible_length_counts_emoji_as_two_utf16_units() -> None:
    assert telegram_visible_length("🎉") == 2
    assert telegram_visible_length("<b>👍🏽</b>") == 4


def test_visible_length_vietnamese_is_one_unit_per_char() -> None:
    assert telegram_visible_length("Tiếng Việt") == 10


def test_visible_length_of_rendered_output_matches_plain_text() -> None:
    r = _r("**Tom & Jerry** <3 🎉")
    assert telegram_visible_length(r.telegram_html) == len("Tom & Jerry <3 ") + 2


# --------------------------------------------------------------------------- #
# check_fits
# --------------------------------------------------------------------------- #


def _plain_rendered(n_units: int, char: str = "a") -> Rendered:
    text = char * n_units
    return Rendered(telegram_html=text, plain=text)


def test_telegram_text_exactly_at_limit_passes() -> None:
    r = _plain_rendered(TELEGRAM_TEXT_LIMIT)
    assert check_fits(r, kinds={"telegram"}, media_count=0) == []


def test_telegram_text_one_over_limit_fails() -> None:
    r = _plain_rendered(TELEGRAM_TEXT_LIMIT + 1)
    problems = check_fits(r, kinds={"telegram"}, media_count=0)
    assert problems == [
        "Văn bản Telegram dài 4097 ký tự, tối đa 4096 / Telegram text is 4097 characters, limit 4096"
    ]


def test_telegram_limit_counts_visible_text_not_markup() -> None:
    # Tags and entities do not count: 4096 visible units despite longer HTML.
    html = "<b>" + "&amp;" * TELEGRAM_TEXT_LIMIT + "</b>"
    r = Rendered(telegram_html=html, plain="&" * TELEGRAM_TEXT_LIMIT)
    assert check_fits(r, kinds={"telegram"}, media_count=0) == []


def test_telegram_limit_counts_emoji_as_two() -> None:
    r = _plain_rendered(TELEGRAM_TEXT_LIMIT // 2, "🎉")
    assert check_fits(r, kinds={"telegram"}, media_count=0) == []
    r = Rendered(telegram_html=r.telegram_html + "a", plain=r.plain + "a")
    assert check_fits(r, kinds={"telegram"}, media_count=0) != []


@pytest.mark.parametrize("media_count", [1, 2, 10])
def test_telegram_caption_exactly_at_limit_passes(media_count: int) -> None:
    r = _plain_rendered(TELEGRAM_CAPTION_LIMIT)
    assert check_fits(r, kinds={"telegram"}, media_count=media_count) == []


def test_telegram_caption_one_over_limit_fails_with_suggestion() -> None:
    r = _plain_rendered(TELEGRAM_CAPTION_LIMIT + 1)
    problems = check_fits(r, kinds={"telegram"}, media_count=1)
    assert len(problems) == 1
    vi, en = problems[0].split(" / ")
    assert "1025" in vi and "1024" in vi and "rút gọn" in vi
    assert "1025" in en and "1024" in en
    assert "shorten" in en and "separate message" in en


def test_telegram_album_of_ten_passes_eleven_fails() -> None:
    r = _plain_rendered(10)
    assert check_fits(r, kinds={"telegram"}, media_count=10) == []
    problems = check_fits(r, kinds={"telegram"}, media_count=11)
    assert problems == [
        "Album Telegram có 11 tệp media, tối đa 10 / Telegram album has 11 media items, limit 10"
    ]


def test_telegram_long_caption_and_big_album_both_reported() -> None:
    r = _plain_rendered(TELEGRAM_CAPTION_LIMIT + 5)
    problems = check_fits(r, kinds={"telegram"}, media_count=12)
    assert len(problems) == 2


@pytest.mark.parametrize("kind", ["zalo_oa_group", "zalo_oa_broadcast", "zalo_bot"])
def test_zalo_exactly_at_limit_passes_one_over_fails(kind: str) -> None:
    assert check_fits(_plain_rendered(ZALO_TEXT_LIMIT), kinds={kind}, media_count=0) == []
    problems = check_fits(_plain_rendered(ZALO_TEXT_LIMIT + 1), kinds={kind}, media_count=0)
    assert problems == ["Văn bản Zalo dài 2001 ký tự, tối đa 2000 / Zalo text is 2001 characters, limit 2000"]


def test_zalo_problem_reported_once_for_several_zalo_kinds() -> None:
    problems = check_fits(
        _plain_rendered(ZALO_TEXT_LIMIT + 1),
        kinds={"zalo_oa_group", "zalo_bot", "zalo_oa_broadcast"},
        media_count=0,
    )
    assert len(problems) == 1


def test_zalo_limit_uses_plain_text_not_html() -> None:
    r = Rendered(telegram_html="x" * 5000, plain="y" * ZALO_TEXT_LIMIT)
    assert check_fits(r, kinds={"zalo_bot"}, media_count=0) == []


def test_zalo_limit_not_applied_to_telegram_only() -> None:
    r = _plain_rendered(ZALO_TEXT_LIMIT + 100)
    assert check_fits(r, kinds={"telegram"}, media_count=0) == []


def test_console_has_no_limits() -> None:
    r = _plain_rendered(100_000)
    assert check_fits(r, kinds={"console"}, media_count=50) == []
    assert check_fits(_plain_rendered(0), kinds={"console"}, media_count=0) == []


def test_all_kinds_report_each_problem() -> None:
    r = _plain_rendered(TELEGRAM_TEXT_LIMIT + 1)
    kinds = {"telegram", "zalo_oa_group", "zalo_oa_broadcast", "zalo_bot", "console"}
    problems = check_fits(r, kinds=kinds, media_count=0)
    assert len(problems) == 2
    assert problems[0].startswith("Văn bản Telegram")
    assert problems[1].startswith("Văn bản Zalo")


def test_empty_post_without_media_is_a_problem() -> None:
    problems = check_fits(_r(""), kinds={"telegram"}, media_count=0)
    assert problems == ["Bài đăng không có nội dung và không có media / Post has no text and no media"]
    assert check_fits(_r(""), kinds={"telegram"}, media_count=1) == []


def test_empty_kinds_has_no_problems() -> None:
    assert check_fits(_plain_rendered(10_000), kinds=set(), media_count=0) == []


def test_check_fits_on_real_render() -> None:
    r = render_markdown("**" + "á" * TELEGRAM_CAPTION_LIMIT + "**")
    assert check_fits(r, kinds={"telegram"}, media_count=1) == []
    assert check_fits(r, kinds={"telegram", "zalo_bot"}, media_count=0) == []


def test_unknown_kind_raises() -> None:
    with pytest.raises(ValueError):
        check_fits(_plain_rendered(1), kinds={"facebook"}, media_count=0)


def test_negative_media_count_raises() -> None:
    with pytest.raises(ValueError):
        check_fits(_plain_rendered(1), kinds={"telegram"}, media_count=-1)


# --------------------------------------------------------------------------- #
# telegram_length: the visible length render_markdown works out itself
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "body",
    [
        MIXED_DOC,
        "**Tom & Jerry** <3 🎉 &amp; &lt;b&gt; \"q\" 'a'",
        "```\n\n  a < b\n\n```\n\n- `x & y`\n  > > q\n\n[**a**](https://x.y/?a=1&b=\"2\") <https://t.me/a>",
        "&nbsp;**&nbsp;x**\n\n    \n    code\n\n1. \n2. ![a *b* ![c](d)](e)",
        "",
    ],
)
@pytest.mark.parametrize("title", [None, "Tiêu đề <b> & \"x\""])
def test_rendered_telegram_length_matches_html_parser(body: str, title: str | None) -> None:
    r = render_markdown(body, title=title)
    assert r.telegram_length == telegram_visible_length(r.telegram_html)


def test_telegram_length_is_not_part_of_equality_and_check_fits_uses_it() -> None:
    assert Rendered("x", "x", telegram_length=1) == Rendered("x", "x")
    # check_fits trusts a given length and measures the HTML only when there is none
    r = Rendered(telegram_html="a", plain="a", telegram_length=TELEGRAM_TEXT_LIMIT + 1)
    assert check_fits(r, kinds={"telegram"}, media_count=0) != []
    assert check_fits(Rendered("a", "a"), kinds={"telegram"}, media_count=0) == []


def test_check_fits_on_rendered_emoji_and_entities() -> None:
    body = "🎉&" * (TELEGRAM_TEXT_LIMIT // 3)  # 3 UTF-16 units each: just under the limit
    r = render_markdown(body)
    assert r.telegram_length == TELEGRAM_TEXT_LIMIT // 3 * 3
    assert check_fits(r, kinds={"telegram"}, media_count=0) == []
    assert check_fits(render_markdown(body + "🎉"), kinds={"telegram"}, media_count=0) != []


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        ("khoảng ~100 người ~ 200~", "khoảng ~100 người ~ 200~"),
        ("ca sáng 7~8 giờ, ca chiều 13~14 giờ", "ca sáng 7~8 giờ, ca chiều 13~14 giờ"),
        ("~*a*~ ~t~", "~a~ ~t~"),
    ],
)
def test_single_tildes_are_text_not_strikethrough(body: str, plain: str) -> None:
    r = _r(body)
    assert "<s>" not in r.telegram_html
    assert r.plain == plain
    assert r.telegram_length == len(plain)


def test_raw_html_block_is_shown_as_typed() -> None:
    # a line that opens an HTML block (here <div>, up to the blank line) shows it verbatim, Markdown and all
    r = _r("<div>\n*không nghiêng* <!-- ghi chú -->\n\nSau **đậm**")
    assert r.telegram_html == "&lt;div&gt;\n*không nghiêng* &lt;!-- ghi chú --&gt;\n\nSau <b>đậm</b>"
    assert r.plain == "<div>\n*không nghiêng* <!-- ghi chú -->\n\nSau đậm"
