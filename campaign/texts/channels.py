"""Outbound channels (Telegram, Zalo OA, Zalo Bot): errors and notices shown to operators and in alerts.

Most are shown "vi / en" on one line (``inline``); a technical detail such as the API method or the
HTTP error is appended after both languages by the caller.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # Zalo OA API (channels/zalo/http.py)
    "zalo.timeout": ("Zalo không trả lời kịp", "Zalo did not answer in time"),
    "zalo.answer_lost": ("mất câu trả lời của Zalo", "Zalo's answer was lost"),
    "zalo.unreachable": ("không kết nối được Zalo", "cannot reach Zalo"),
    "zalo.unreadable": ("câu trả lời không đọc được", "unreadable answer"),
    "zalo.unexpected": ("câu trả lời không hợp lệ", "unexpected answer"),
    "zalo.rate_limited": ("quá giới hạn tần suất", "rate limited"),
    "zalo.processing": ("bài viết đang được xử lý", "article still being processed"),
    "zalo.token_rejected": ("access token bị từ chối", "access token rejected"),
    "zalo.error": ("lỗi", "error"),
    "zalo.missing_field": ("câu trả lời thiếu '{key}'", "the answer has no '{key}'"),
    "zalo.code.-201": ("tham số không hợp lệ", "invalid parameter"),
    "zalo.code.-210": ("vượt giới hạn cho phép (ví dụ ảnh quá lớn)",
                       "over the allowed limit (e.g. the image is too large)"),
    "zalo.code.-211": ("OA đã hết hạn mức gửi", "the OA's sending quota is exhausted"),
    "zalo.code.-213": ("người nhận chưa quan tâm OA", "the recipient does not follow the OA"),
    "zalo.code.-224": ("gói dịch vụ của OA không có tính năng này",
                       "the OA's service package does not include this feature"),
    "zalo.code.-237": ("nhóm đã bị vô hiệu hóa; kiểm tra mã nhóm", "the group is disabled; check the group id"),
    "zalo.code.-403": ("OA không ở trong nhóm này; kiểm tra mã nhóm", "the OA is not in this group; check the group id"),
    # Zalo OA tokens and publishing (channels/zalo/tokens.py, channels/zalo/oa.py)
    "zalo.login_hint": ("quản trị viên cần chạy `loa zalo login --code <mã ủy quyền>` (hoặc `--refresh-token`)",
                        "an admin must run `loa zalo login --code <authorization code>` (or `--refresh-token`)"),
    "zalo.no_tokens": ("chưa có token Zalo OA trong kho dữ liệu", "no Zalo OA token pair in the store"),
    "zalo.refresh_rate_limited": ("Zalo: làm mới token bị giới hạn tần suất", "token refresh rate limited"),
    "zalo.refresh_refused": ("Zalo từ chối làm mới token ({code}: {detail}); đã dừng đăng lên Zalo OA — {hint}",
                             "Zalo refused to refresh the OA token ({code}: {detail}); Zalo publishing is stopped — "
                             "{hint}"),
    "zalo.login.no_code": ("không thấy 'code' và 'state': hãy dán cả địa chỉ mà Zalo chuyển tới",
                           "no 'code' and 'state' found: paste the whole address Zalo redirected to"),
    "zalo.login.bad_state": ("'state' không khớp: địa chỉ này thuộc một lần đăng nhập khác; hãy chạy lại",
                             "'state' does not match: this address belongs to another login attempt; start again"),
    "zalo.refused": ("Zalo từ chối", "Zalo refused"),
    "zalo.fresh_token_rejected": ("Zalo từ chối cả token vừa làm mới ({code}): kiểm tra ứng dụng còn liên kết với OA "
                                  "và có quyền; {hint}",
                                  "Zalo rejects even a freshly refreshed token ({code}): check the app is still "
                                  "linked to the OA with the needed permissions; {hint}"),
    "zalo.what.upload": ("tải ảnh", "image upload"),
    "zalo.what.article_create": ("tạo bài viết", "article create"),
    "zalo.what.article_verify": ("kiểm tra bài viết", "article verify"),
    "zalo.what.article_remove": ("gỡ bài viết", "article remove"),
    "zalo.oa.images_only": ("Zalo OA chỉ nhận ảnh jpg/png/gif, không nhận «{name}»",
                            "Zalo OA takes only jpg/png/gif images, not “{name}”"),
    "zalo.oa.no_cover": ("bài viết Zalo cần ảnh bìa có địa chỉ URL công khai: thêm ảnh vào bài và đặt "
                         "[zalo] media_base_url, hoặc đặt [zalo] default_cover_url",
                         "a Zalo article needs a cover image at a public URL: attach an image and set "
                         "[zalo] media_base_url, or set [zalo] default_cover_url"),
    "zalo.oa.bad_audience": ("đích broadcast phải là 'followers' (hoặc 'followers:bộ lọc'), không phải '{target}'",
                             "broadcast target must be 'followers' (or 'followers:filters'), not '{target}'"),
    "zalo.oa.no_edit": ("Zalo không cho sửa tin đã gửi; hãy đăng bài đính chính",
                        "Zalo cannot edit a sent message; publish a correction instead"),
    "zalo.oa.missing_env": ("thiếu biến môi trường {names} cho Zalo OA",
                            "environment variable(s) {names} for Zalo OA are not set"),
    "zalo.oa.image_too_large": ("ảnh «{name}» {size} byte vượt giới hạn {limit} của Zalo",
                                "image “{name}” is {size} bytes, over Zalo's {limit}"),
    "zalo.oa.still_processing": ("Zalo vẫn đang xử lý bài viết sau {n} lần kiểm tra; sẽ thử lại",
                                 "Zalo is still processing the article after {n} checks; will retry"),
    "zalo.oa.default_title": ("Thông báo", "Announcement"),
    "zalo.oa.bad_gif": ("«{name}» không phải tệp GIF hợp lệ", "“{name}” is not a valid GIF file"),
    "zalo.oa.no_group_recall": ("Zalo không cho thu hồi tin nhóm qua API; quản trị viên nhóm xóa tay trong ứng dụng Zalo",
                                "Zalo OA group messages cannot be recalled through the API; a group admin must delete "
                                "it in the Zalo app"),
    "zalo.oa.no_broadcast_recall": ("tin broadcast không thu hồi được", "a broadcast message cannot be recalled"),
    "zalo.oa.no_broadcast_recall_after_removal": ("đã gỡ bài viết, nhưng tin broadcast không thu hồi được",
                                                  "the article was removed, but a broadcast message cannot be recalled"),
    # Zalo Bot (channels/zalo/bot.py)
    "zalobot.timeout": ("Zalo Bot không trả lời kịp", "no answer in time"),
    "zalobot.answer_lost": ("mất câu trả lời của Zalo Bot", "Zalo Bot's answer was lost"),
    "zalobot.unreachable": ("không kết nối được Zalo Bot", "cannot reach Zalo Bot"),
    "zalobot.no_token": ("thiếu token Zalo Bot", "missing Zalo Bot token"),
    "zalobot.token_rejected": ("Zalo Bot từ chối token ({code}; kiểm tra biến môi trường trong [zalo].bot_token_env)",
                               "Zalo Bot rejected the bot token ({code}; check the variable named by "
                               "[zalo].bot_token_env)"),
    "zalobot.refused_getme": ("Zalo Bot từ chối getMe", "Zalo Bot refused getMe"),
    "zalobot.check_api_base": ("kiểm tra [zalo] bot_api_base", "check [zalo] bot_api_base"),
    "zalobot.left_out": ("kèm {n} tệp không hiển thị được trên Zalo Bot", "{n} attachment(s) not shown on Zalo Bot"),
    "zalobot.too_long": ("văn bản dài {length} ký tự, Zalo Bot nhận tối đa {limit}",
                         "text is {length} characters, Zalo Bot takes at most {limit}"),
    "zalobot.no_edit": ("Zalo Bot không sửa được tin đã gửi", "Zalo Bot cannot edit a sent message"),
    "zalobot.no_delete": ("Zalo Bot không thu hồi được tin đã gửi", "Zalo Bot cannot delete a sent message"),
    # Telegram (channels/telegram.py)
    "telegram.no_token": ("thiếu token Telegram", "missing Telegram bot token"),
    "telegram.token_rejected": ("Telegram từ chối token (kiểm tra biến môi trường trong [telegram].token_env)",
                                "Telegram rejected the bot token (check the variable named by [telegram].token_env)"),
    "telegram.unreachable": ("không kết nối được Telegram", "cannot reach Telegram"),
    "telegram.unreadable": ("câu trả lời không đọc được", "unreadable answer"),
    # Deliveries (jobs/delivery.py)
    "delivery.channel_gone": ("kênh '{channel}' không còn trong config", "channel '{channel}' no longer configured"),
}
