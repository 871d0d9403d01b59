"""The chat side's own sentences (``bot.dispatch``, the Telegram and Zalo Bot handlers, button data)
and the reports of admin actions (``campaign.admin``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # paging
    "chat.prev": ("◀ Trước", "◀ Prev"),
    "chat.next": ("Sau ▶", "Next ▶"),
    "chat.next_page": ("➡ Trang sau: «{call}»", "➡ Next page: “{call}”"),
    # arguments that do not fit
    "chat.need_reason": ("Cần lý do: tuchoi ID lý do", "A reason is needed: reject ID reason"),
    "chat.need_id": ("Cần số bài (ID), ví dụ /post 12.", "Give the post ID, e.g. /post 12."),
    "chat.not_delivery": ("'{text}' không phải số lượt gửi.", "'{text}' is not a delivery number."),
    "chat.too_many_ids": ("Tối đa {n} số mỗi lần.", "At most {n} numbers at once."),
    "chat.unknown_command": ("Không hiểu lệnh. Gõ /help.", "Unknown command. Try /help."),
    "chat.unknown_command_here": ("Không hiểu lệnh này. Gõ /help.", "Unknown command. Try /help."),
    # confirmations
    "chat.confirm": ("✔ Xác nhận", "✔ Confirm"),
    "chat.cancel": ("✖ Huỷ", "✖ Cancel"),
    "chat.cancelled": ("Đã huỷ.", "Cancelled."),
    "chat.confirm_pause": ("Tạm dừng MỌI đăng bài?", "Pause ALL publishing?"),
    "chat.confirm_resume": ("Tiếp tục đăng bài?", "Resume publishing?"),
    "chat.confirm_retract": ("Thu hồi bài #{id} «{title}» ở mọi kênh?", "Retract post #{id} “{title}” everywhere?"),
    "chat.confirm_correct": ("Sửa bài #{id} «{title}» đã đăng theo nội dung mới?",
                             "Edit published post #{id} “{title}” to the new content?"),
    "chat.type_confirm": ("Gửi «{cmd} xacnhan» để xác nhận.", "Send “{cmd} confirm” to confirm."),
    "chat.type_confirm_post": ("Gửi «{cmd} {id} xacnhan» để xác nhận.", "Send “{cmd} {id} confirm” to confirm."),
    # approval buttons
    "chat.approved": ("Đã duyệt ✅", "Approved ✅"),
    "chat.reason_prompt": ("✍️ Lý do từ chối bài #{id} «{title}»? Hãy trả lời tin nhắn này. {mark}",
                           "✍️ Why reject post #{id} “{title}”? Reply to this message. {mark}"),
    "chat.reason_toast": ("Hãy nhập lý do", "Please give a reason"),
    "chat.invalid_button": ("Nút này không còn hiệu lực.", "This button is no longer valid."),
    # the Telegram handlers
    "chat.error": ("Có lỗi, đã ghi nhận.", "Something went wrong; it has been logged."),
    "chat.token_refused": ("Telegram từ chối token của bot chat", "Telegram rejected the chat bot's token"),
    "chat.unreachable": ("không kết nối được Telegram", "cannot reach Telegram"),
    # what an admin action did (campaign.admin.Outcome.report)
    "admin.paused": ("⏸ Đã tạm dừng mọi đăng bài.", "⏸ All publishing paused."),
    "admin.already_paused": ("Đang tạm dừng rồi.", "Already paused."),
    "admin.resumed": ("▶️ Đã tiếp tục đăng bài.", "▶️ Publishing resumed."),
    "admin.not_paused": ("Không bị tạm dừng.", "Not paused."),
    "admin.synced": ("🔄 Đã đồng bộ: +{added} ~{changed} -{withdrawn} ({unchanged} không đổi)",
                     "🔄 Synced: +{added} ~{changed} -{withdrawn} ({unchanged} unchanged)"),
    "admin.retried": ("🔁 Đã đưa lại vào hàng gửi: {ids}.", "🔁 Queued again: {ids}."),
    "admin.skipped": ("⏭ Đã bỏ qua: {ids}.", "⏭ Skipped: {ids}."),
    "admin.corrected": ("Đã sửa #{id}: {n} kênh", "Corrected #{id}: {n} channel(s)"),
    "chat.web_off": ("Máy chủ web đang tắt ([web] listen).", "The web server is off ([web] listen)."),
    "chat.web_link": ("🔑 Đăng nhập trang quản lý (dùng một lần, trong 10 phút):\n{url}",
                      "🔑 Sign in to the dashboard (once, within 10 minutes):\n{url}"),
    "chat.private_only": ("Gửi /{command} trong chat riêng với bot: liên kết là của riêng bạn.",
                          "Send /{command} in a private chat with the bot: the link is yours alone."),
    # /lichcanhan /mycalendar: a person's private calendar link
    "chat.calendar_link": ("📅 Lịch riêng của bạn (bài cần duyệt và hạn duyệt, nhắc trước 1 giờ). Thêm vào ứng dụng "
                           "lịch bằng «Đăng ký lịch / Thêm theo URL»; đừng chia sẻ liên kết này:\n{url}",
                           "📅 Your own calendar (posts to approve and their deadlines, alarm 1 h before). Add it in "
                           "your calendar app with “Subscribe / Add by URL”; do not share this link:\n{url}"),
    "chat.calendar_renewed": ("Liên kết cũ đã ngừng hoạt động.", "The old link no longer works."),
    "chat.calendar_have": ("Bạn đã có liên kết lịch riêng (cấp lúc {at}, trong chat này ở trên). Bot không lưu được "
                           "liên kết để gửi lại; mất liên kết thì gửi /{word_new} để lấy liên kết mới (liên kết cũ "
                           "ngừng hoạt động), /{word_off} để tắt hẳn.",
                           "You already have a private calendar link (issued {at}, earlier in this chat). The bot "
                           "cannot show it again; if it is lost, send /{word_new} for a new one (the old one stops "
                           "working), or /{word_off} to turn it off."),
    "chat.calendar_off": ("Đã tắt liên kết lịch riêng của bạn.", "Your private calendar link is turned off."),
    "chat.calendar_none": ("Bạn chưa có liên kết lịch riêng nào đang hoạt động.",
                           "You have no private calendar link in use."),
    "chat.cannot_listen": ("không mở được cổng webhook {address} ({error}); đổi --listen",
                           "cannot listen for the webhook on {address} ({error}); change --listen"),
}
