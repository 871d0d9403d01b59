"""Messages about channel kinds and their targets (config validation)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "kinds.target.telegram": (
        "đích Telegram phải là @tên_kênh hoặc id số (ví dụ -1001234567890), không phải {target}",
        "a Telegram target is @channelname or a numeric id (e.g. -1001234567890), not {target}",
    ),
    "kinds.target.broadcast": (
        "đích broadcast phải là 'followers' hoặc 'followers:khóa=giá_trị,…', không phải {target}",
        "a broadcast target is 'followers' or 'followers:key=value,…', not {target}",
    ),
    "kinds.target.zalo_id": (
        "đích Zalo phải là id (chữ số hoặc chữ cái, không dấu cách), không phải {target}",
        "a Zalo target is an id (digits or letters, no spaces), not {target}",
    ),
    "kinds.target.facebook": (
        "đích fanpage phải là id số của Trang (Page ID, trong phần Giới thiệu của Trang), không phải {target}",
        "a facebook_page target is the Page's numeric id (Page ID, in the Page's About section), not {target}",
    ),
    "kinds.target.webhook": (
        "đích webhook phải là địa chỉ http:// hoặc https:// của bên nhận, không phải {target}",
        "a webhook target is the receiver's http:// or https:// URL, not {target}",
    ),
    "kinds.target.pull": (
        "đích {kind} là tên trong địa chỉ web (a-z, 0-9, '-', '_'; ví dụ 'so-tt'), không phải {target}",
        "a {kind} target is its name in the web address (a-z, 0-9, '-', '_'; e.g. 'so-tt'), not {target}",
    ),
    "kinds.target.control": (
        "đích chứa ký tự điều khiển",
        "the target contains a control character",
    ),
}

# What a channel kind refuses in a post (render.check_fits, content media checks).
TEXTS.update({
    "fits.empty": ("Bài đăng không có nội dung và không có media", "Post has no text and no media"),
    "fits.text": ("Văn bản {platform} dài {length} ký tự, tối đa {limit}",
                  "{platform} text is {length} characters, limit {limit}"),
    "fits.caption": ("Chú thích {platform} kèm media dài {length} ký tự, tối đa {limit}; hãy rút gọn nội dung hoặc "
                     "gửi media thành tin nhắn riêng",
                     "{platform} caption with media is {length} characters, limit {limit}; shorten the text or send "
                     "the media as a separate message"),
    "fits.album": ("Album {platform} có {count} tệp media, tối đa {limit}",
                   "{platform} album has {count} media items, limit {limit}"),
    "media.refused": ("{label} chỉ nhận ảnh {suffixes}, không nhận tệp media '{item}'",
                      "{label} takes only {suffixes} images, not media '{item}'"),
    "media.too_large": ("tệp media '{item}' quá lớn ({size} byte, tối đa {limit})",
                        "media '{item}' too large ({size} bytes, limit {limit})"),
    "media.too_large_setting": (
        "ảnh '{item}' quá lớn cho {label} ({size} byte, tối đa {limit}, [zalo] {setting})",
        "image '{item}' too large for {label} ({size} bytes, limit {limit}, [zalo] {setting})"),
})
