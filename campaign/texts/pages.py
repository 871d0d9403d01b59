"""Facebook Pages and webhooks: adapter errors, ``loa facebook check`` and the approval preview."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # Facebook Graph API errors (channels/facebook.py)
    "fb.token": ("Facebook từ chối access token của Trang ({code}: {message}); tạo token Trang mới và đặt vào biến "
                 "{env}, rồi chạy `loa facebook check`",
                 "Facebook rejected the Page access token ({code}: {message}); create a new Page token, put it in "
                 "{env}, then run `loa facebook check`"),
    "fb.permission": ("token của Trang thiếu quyền ({code}: {message}); cần pages_manage_posts và "
                      "pages_read_engagement, rồi chạy `loa facebook check`",
                      "the Page token lacks a permission ({code}: {message}); it needs pages_manage_posts and "
                      "pages_read_engagement; then run `loa facebook check`"),
    "fb.throttled": ("Facebook giới hạn tần suất ({code}: {message}); sẽ thử lại sau {seconds} giây",
                     "Facebook is throttling ({code}: {message}); retrying in {seconds} s"),
    "fb.transient": ("Facebook lỗi tạm thời ({code}: {message}); sẽ thử lại",
                     "Facebook had a temporary error ({code}: {message}); will retry"),
    "fb.refused": ("Facebook từ chối ({code}: {message})", "Facebook refused ({code}: {message})"),
    "fb.http": ("Facebook HTTP {status} ({what})", "Facebook HTTP {status} ({what})"),
    "fb.unreachable": ("không kết nối được Facebook ({what}: {error})", "cannot reach Facebook ({what}: {error})"),
    "fb.lost": ("mất câu trả lời của Facebook ({what}: {error})", "Facebook's answer was lost ({what}: {error})"),
    "fb.unreadable": ("câu trả lời của Facebook không đọc được ({what})", "Facebook's answer cannot be read ({what})"),
    "fb.no_id": ("câu trả lời của Facebook thiếu id ({what})", "Facebook's answer has no id ({what})"),
    "fb.media": ("Facebook chỉ nhận ảnh jpg/png/gif/bmp/tiff ≤ {limit} byte, không nhận «{name}» ({size} byte)",
                 "Facebook takes only jpg/png/gif/bmp/tiff images up to {limit} bytes, not “{name}” ({size} bytes)"),
    "fb.no_env": ("biến môi trường {env} (token Trang Facebook của kênh {channel}) chưa đặt (hoặc chạy --offline)",
                  "environment variable {env} (the Facebook Page token of channel {channel}) is not set (or run with "
                  "--offline)"),
    "fb.alert": ("⚠ Fanpage {channel}: {reason}. Các bài tới Trang này sẽ thất bại cho tới khi sửa xong.",
                 "⚠ Fanpage {channel}: {reason}. Posts to this Page will fail until this is fixed."),
    # loa facebook check
    "fb.check.ok": ("✓ {channel}: Trang «{name}» ({page}), token hợp lệ", "✓ {channel}: Page “{name}” ({page}), token valid"),
    "fb.check.fail": ("✗ {channel} ({page}): {reason}", "✗ {channel} ({page}): {reason}"),
    "fb.check.missing": ("  thiếu quyền: {permissions} (cấp lại token Trang với các quyền này)",
                         "  missing permission(s): {permissions} (issue the Page token again with them)"),
    "fb.check.none": ("không có kênh facebook_page nào trong config", "no facebook_page channel in the config"),
    # webhooks (channels/webhook.py)
    "wh.http": ("bên nhận webhook trả lời HTTP {status}: {detail}", "the webhook receiver answered HTTP {status}: {detail}"),
    "wh.unreachable": ("không kết nối được bên nhận webhook ({error})", "cannot reach the webhook receiver ({error})"),
    "wh.lost": ("mất câu trả lời của bên nhận webhook ({error}); sẽ gửi lại cùng Idempotency-Key",
                "the webhook receiver's answer was lost ({error}); resending with the same Idempotency-Key"),
    "wh.no_env": ("biến môi trường {env} (khóa bí mật webhook của kênh {channel}) chưa đặt (hoặc chạy --offline)",
                  "environment variable {env} (the webhook secret of channel {channel}) is not set (or run with "
                  "--offline)"),
    # approval request previews (campaign/review.py)
    "preview.facebook": ("📘 Trên fanpage {channel} (văn bản thuần, liên kết giữ nguyên{media}):",
                         "📘 On the fanpage {channel} (plain text, links kept{media}):"),
    "preview.facebook.media": (", {count} ảnh", ", {count} photo(s)"),
    "preview.feed": ("📰 Trong nguồn tin {channel} (/feeds/{target}.atom, .rss, .json): «{title}», {chars} ký tự, "
                     "{count} tệp media",
                     "📰 In the feed {channel} (/feeds/{target}.atom, .rss, .json): “{title}”, {chars} characters, "
                     "{count} media file(s)"),
    "preview.led": ("🖥 Trên màn hình LED {channel}: tiêu đề «{title}» chữ lớn, rồi phần đầu nội dung:",
                    "🖥 On the LED screen {channel}: the title “{title}” in large type, then the start of the text:"),
    "preview.webhook": ("🌐 Gửi tới cổng {channel}: tiêu đề «{title}», {chars} ký tự, {count} tệp media, mốc {milestone}",
                        "🌐 Sent to the portal {channel}: title “{title}”, {chars} characters, {count} media file(s), "
                        "milestone {milestone}"),
}
