"""Alerts, approval requests, reasons, reminders and the retraction report: the messages the jobs send."""

from __future__ import annotations

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
    "alert.ambiguous": ("❓ Không rõ «{title}» đã tới {channel} chưa: đã gửi nhưng mất câu trả lời ({error}). Loa không tự gửi lại "
                        "để tránh đăng hai lần. Kiểm tra kênh rồi bấm «Gửi lại» hoặc «Đã lên» (hoặc /retry {id} / /skip {id}).",
                        "❓ Unknown whether “{title}” reached {channel}: it was sent but the answer was lost ({error}). Loa does not "
                        "resend by itself, to avoid posting twice. Check the channel, then press Resend or It went out "
                        "(or /retry {id} / /skip {id})."),
    "alert.deadline": ("⏰ Bài «{title}» ({key}) đã quá hạn duyệt ({deadline}); còn thiếu {missing} lượt duyệt, đăng lúc {at}.",
                       "⏰ Post “{title}” ({key}) is past its approval deadline ({deadline}); {missing} approval(s) missing, due {at}."),
    "alert.zalo_auth": ("🔑 Zalo OA ngừng đăng: {reason}. Quản trị viên chạy `loa zalo login` với mã ủy quyền mới.",
                        "🔑 Zalo OA publishing stopped: {reason}. An admin should run `loa zalo login` with a new authorization code."),
    "alert.chat_moved": ("🔀 Telegram đã nâng cấp nhóm {old} thành siêu nhóm {new}. Loa đã gửi sang id mới và sẽ tiếp tục "
                         "như vậy; hãy sửa target của {channels} trong config.toml thành \"{new}\".",
                         "🔀 Telegram upgraded group {old} to supergroup {new}. Loa sent to the new id and will keep doing "
                         "so; update the target of {channels} in config.toml to \"{new}\"."),
    "check.chat_moved": ("kênh '{key}': nhóm {old} đã thành siêu nhóm {new} (Loa đang gửi tới {new}); đổi target thành \"{new}\"",
                         "channel '{key}': group {old} became supergroup {new} (Loa sends to {new}); set target = \"{new}\""),
    # retraction report (/retract)
    "retract.done": ("↩️ Đã thu hồi bài #{id} ở mọi kênh.", "↩️ Retracted post #{id} everywhere."),
    "retract.partial": ("⚠️ Thu hồi bài #{id} CHƯA xong: bài vẫn còn hiện ở {channels}.",
                        "⚠️ Retraction of post #{id} is NOT complete: {channels} still show(s) the post."),
    "retract.deleted": ("🗑 Đã xoá ở: {channels}.", "🗑 Deleted in: {channels}."),
    "retract.replaced": ("✏️ Telegram không cho xoá (tin đã quá 48 giờ hoặc bot thiếu quyền xoá), nên tin đã được sửa "
                         "thành thông báo thu hồi ở: {channels}.",
                         "✏️ Telegram refused the deletion (older than 48 hours, or the bot lacks the right), so the "
                         "message now shows the retraction notice in: {channels}."),
    "retract.album": ("⚠️ {channel}: {n} ảnh/tệp khác của bài vẫn còn hiện (Telegram không cho xoá) — hãy xoá tay.",
                      "⚠️ {channel}: {n} other photo(s)/file(s) of the post still show (Telegram refused to delete "
                      "them) — remove them by hand."),
    "retract.no_notice": ("Telegram không cho xoá (tin quá 48 giờ hoặc bot thiếu quyền) và [telegram] retraction_notice "
                          "để trống ({error})",
                          "Telegram refused the deletion (older than 48 hours, or no right) and [telegram] "
                          "retraction_notice is empty ({error})"),
    "retract.refused_both": ("Telegram không cho xoá (tin quá 48 giờ hoặc bot thiếu quyền) và cũng không cho sửa tin ({error})",
                             "Telegram refused both deleting (older than 48 hours, or no right) and editing the message "
                             "({error})"),
    "retract.old_group": ("tin nằm trong nhóm cũ {old}; Telegram đã nâng cấp nhóm thành siêu nhóm {new} và không cho bot "
                          "sửa hay xoá tin cũ nữa",
                          "the message is in the old group {old}, which Telegram upgraded to supergroup {new}; the bot "
                          "can no longer edit or delete it"),
    "retract.failed": ("❌ {channel} vẫn còn hiện bài: {reason}. Hãy xoá tay.",
                       "❌ {channel} still shows the post: {reason}. Remove it by hand."),
    "alert.error": ("⚠️ Lỗi bất ngờ ở {where}: {error}. Loa vẫn chạy; chi tiết trong nhật ký (log).",
                    "⚠️ Unexpected error in {where}: {error}. Loa keeps running; details in the log."),
    "alert.problems": ("⚠️ Nội dung có lỗi; các tệp này chưa được nạp, mọi bài khác vẫn theo lịch:",
                       "⚠️ Content problems; these files were not loaded, every other post keeps its schedule:"),
    # approval requests
    "request": ("📝 Duyệt bài #{id} «{title}» — đăng {at} → {channels} (đã duyệt {have}/{need})",
                "📝 Review post #{id} “{title}” — goes out {at} → {channels} ({have}/{need} approvals)"),
    "request.correction": ("✏️ Đây là bản đính chính của bài đã đăng.", "✏️ This corrects a post already published."),
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
