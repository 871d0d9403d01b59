"""Relayed sources ("tiếp sóng"): config problems, the drafts' words and the admins' alert."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # config.toml [[relay]]
    "config.not_relay": ("[[relay]] phải là danh sách bảng (mỗi nguồn một khối [[relay]])",
                         "[[relay]] must be an array of tables (one [[relay]] block per source)"),
    "config.feed_url": ("'{key}': cần địa chỉ nguồn tin http:// hoặc https://, không phải {got}",
                        "'{key}': expected an http:// or https:// feed address, not {got}"),
    "config.relay_twice": ("id nguồn tiếp sóng trùng '{relay}'", "duplicate relay id '{relay}'"),
    "config.relay_milestone": ("nguồn tiếp sóng '{relay}': mốc chưa khai báo '{milestone}' (đã khai báo: {known})",
                               "relay '{relay}': unknown milestone '{milestone}' (known: {known})"),
    "config.relay_no_channels": ("nguồn tiếp sóng '{relay}' chưa có 'channels' (kênh đề xuất đăng)",
                                 "relay '{relay}' has no 'channels' (where its items are proposed)"),
    "config.relay_template": ("'{key}': mẫu {got} chỉ được dùng {allowed} trong ngoặc nhọn",
                              "'{key}': template {got} may only use {allowed} in braces"),
    "config.relay_no_link": ("'body' phải chứa {{link}}: bài tiếp sóng luôn ghi nguồn kèm liên kết",
                             "'body' must contain {{link}}: a relayed post always names its source with the link"),
    # the drafts
    "relay.updated_title": ("Cập nhật: {title}", "Updated: {title}"),
    "relay.untitled": ("(không có tiêu đề)", "(untitled)"),
    # admin alert: a source failing for an hour
    "alert.relay_failing": ("📡 Nguồn tiếp sóng «{label}» ({relay}) không lấy được từ {since} ({minutes} phút): {error}. "
                            "Loa vẫn thử lại, thưa dần; kiểm tra địa chỉ {url}.",
                            "📡 Relay source “{label}” ({relay}) has failed since {since} ({minutes} min): {error}. "
                            "Loa keeps retrying, less often; check the address {url}."),
}
