"""Every user-facing sentence, Vietnamese first, English second, in one table.

``t(key, lang)`` picks one language (chat answers follow the reader's language);
``both(key)`` gives "vi / en" on two lines for broadcast notices and admin alerts.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

TEXTS: dict[str, tuple[str, str]] = {
    # admin alerts
    "alert.held": ("⏸ Bài «{title}» ({key}) đến giờ đăng {at} nhưng bị giữ lại: {reason}.",
                   "⏸ Post “{title}” ({key}) was due {at} but is held: {reason}."),
    "alert.missed": ("⛔ Bài «{title}» ({key}) đã lỡ giờ đăng {at} (quá {catch_up} phút) nên không đăng.",
                     "⛔ Post “{title}” ({key}) missed its time {at} (more than {catch_up} min late) and was not sent."),
    "alert.late": ("🕒 Bài «{title}» ({key}) được đăng muộn {minutes} phút (giờ hẹn {at}).",
                   "🕒 Post “{title}” ({key}) went out {minutes} min late (due {at})."),
    "alert.failed": ("❌ Gửi «{title}» tới {channel} thất bại: {error}. Dùng /retry {id} hoặc /skip {id}.",
                     "❌ Sending “{title}” to {channel} failed: {error}. Use /retry {id} or /skip {id}."),
    "alert.unknown": ("❓ Không rõ «{title}» đã tới {channel} chưa (tiến trình dừng khi đang gửi). "
                      "Kiểm tra kênh rồi dùng /retry {id} (gửi lại) hoặc /skip {id} (coi như đã gửi).",
                      "❓ Unknown whether “{title}” reached {channel} (the process stopped mid-send). "
                      "Check the channel, then /retry {id} (resend) or /skip {id} (mark as sent)."),
    "alert.deadline": ("⏰ Bài «{title}» ({key}) đã quá hạn duyệt ({deadline}); còn thiếu {missing} lượt duyệt, đăng lúc {at}.",
                       "⏰ Post “{title}” ({key}) is past its approval deadline ({deadline}); {missing} approval(s) missing, due {at}."),
    "alert.zalo_auth": ("🔑 Zalo OA ngừng đăng: {reason}. Quản trị viên chạy `loa zalo login` với mã ủy quyền mới.",
                        "🔑 Zalo OA publishing stopped: {reason}. An admin should run `loa zalo login` with a new authorization code."),
    "alert.error": ("⚠️ Lỗi bất ngờ ở {where}: {error}. Loa vẫn chạy; chi tiết trong nhật ký (log).",
                    "⚠️ Unexpected error in {where}: {error}. Loa keeps running; details in the log."),
    "alert.problems": ("⚠️ Nội dung có lỗi; các tệp này chưa được nạp, mọi bài khác vẫn theo lịch:",
                       "⚠️ Content problems; these files were not loaded, every other post keeps its schedule:"),
    # approval requests
    "request": ("📝 Duyệt bài #{id} «{title}» — đăng {at} → {channels} (đã duyệt {have}/{need})",
                "📝 Review post #{id} “{title}” — goes out {at} → {channels} ({have}/{need} approvals)"),
    "request.correction": ("✏️ Đây là bản đính chính của bài đã đăng.", "✏️ This corrects a post already published."),
    "request.hint": ("Trên Zalo: «duyet {id}» hoặc «tuchoi {id} lý do».", "On Zalo: “duyet {id}” or “tuchoi {id} reason”."),
    "request.reminder": ("⏰ Nhắc duyệt: bài #{id} «{title}» cần duyệt trước {deadline} (còn thiếu {missing}).",
                         "⏰ Reminder: post #{id} “{title}” needs approval before {deadline} ({missing} missing)."),
    "decided.approve": ("✅ {who} đã duyệt lúc {at}.", "✅ Approved by {who} at {at}."),
    "decided.reject": ("❌ {who} từ chối lúc {at}: {reason}", "❌ Rejected by {who} at {at}: {reason}"),
    "decided.override": ("↩️ {who} gỡ bỏ từ chối lúc {at}.", "↩️ {who} lifted the rejection at {at}."),
    "decided.approved": ("Bài sẽ được đăng đúng giờ.", "The post will go out on time."),
    "decided.waiting": ("Đã duyệt {have}/{need}.", "Approved {have}/{need}."),
    # reasons
    "reason.paused": ("đang tạm dừng đăng bài", "publishing is paused"),
    "reason.approvals": ("chưa đủ duyệt ({have}/{need})", "not enough approvals ({have}/{need})"),
    "reason.rejected": ("bị từ chối bởi {who}: {why}", "rejected by {who}: {why}"),
    "reason.broken": ("tệp nguồn đang lỗi: {error}", "its source file is broken: {error}"),
    # reminders and digest
    "reminder": ("📣 {when}: {title} — {description}", "📣 {when}: {title} — {description}"),
    "reminder.starts": ("Bắt đầu {at}", "Starts {at}"),
    "digest.title": ("🗓 Lịch ngày {day}", "🗓 Schedule for {day}"),
    "digest.none": ("Không có bài nào hôm nay.", "No posts today."),
    "digest.pending": ("Cần duyệt ({n}):", "Needs approval ({n}):"),
}


def t(key: str, lang: str = "vi", /, **kw: Any) -> str:
    vi, en = TEXTS[key]
    return (en if lang == "en" else vi).format(**kw)


def both(key: str, /, **kw: Any) -> str:
    """Vietnamese line, then English; ``kw`` values may be (vi, en) pairs."""
    vi = {k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}
    en = {k: v[1] if isinstance(v, tuple) else v for k, v in kw.items()}
    return f"{t(key, 'vi', **vi)}\n{t(key, 'en', **en)}"


def pair(key: str, /, **kw: Any) -> tuple[str, str]:
    return t(key, "vi", **kw), t(key, "en", **kw)


def local(when: datetime, tz: tzinfo, fmt: str = "%H:%M %d/%m/%Y") -> str:
    return when.astimezone(tz).strftime(fmt)
