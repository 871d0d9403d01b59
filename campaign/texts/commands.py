"""The chat commands' help lines and argument usage, read by the command registry (``campaign.commands``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # one help line per registered command: "cmd.<name>"
    "cmd.start": ("Giới thiệu", "About this bot"),
    "cmd.help": ("Hướng dẫn", "Help"),
    "cmd.today": ("Lịch hôm nay", "Today's schedule"),
    "cmd.tomorrow": ("Lịch ngày mai", "Tomorrow's schedule"),
    "cmd.week": ("Lịch tuần này", "This week"),
    "cmd.date": ("Ảnh lịch 14 ngày tới: /lich; một ngày: /lich DD/MM", "A picture of the next 14 days: /timeline; one day: /date DD/MM"),
    "cmd.next": ("Mốc và bài sắp tới", "Next milestone and posts"),
    "cmd.milestones": ("Các mốc chiến dịch", "Campaign milestones"),
    "cmd.pending": ("Bài chờ duyệt", "Posts awaiting approval"),
    "cmd.status": ("Tình trạng gửi", "Delivery status"),
    "cmd.post": ("Xem bài và lịch sử: /post ID", "Post preview and history: /post ID"),
    "cmd.audit": ("Nhật ký của bài: /audit ID", "A post's audit trail: /audit ID"),
    "cmd.approve": ("Duyệt bài: duyet ID", "Approve: approve ID"),
    "cmd.reject": ("Từ chối: tuchoi ID lý do", "Reject: reject ID reason"),
    "cmd.override": ("Gỡ từ chối: /override ID", "Lift a rejection: /override ID"),
    "cmd.pause": ("Tạm dừng mọi đăng bài", "Pause all publishing"),
    "cmd.resume": ("Tiếp tục đăng bài", "Resume publishing"),
    "cmd.sync": ("Nạp lại nội dung", "Reload content now"),
    "cmd.retry": ("Gửi lại: /retry ID", "Resend a delivery: /retry ID"),
    "cmd.skip": ("Bỏ qua / coi như đã gửi: /skip ID", "Skip / mark sent: /skip ID"),
    "cmd.retract": ("Thu hồi bài đã đăng: /retract ID", "Retract a published post: /retract ID"),
    "cmd.correct": ("Đính chính bài đã đăng: /correct ID", "Correct a published post: /correct ID"),
    "cmd.new": ("Soạn bài mới (chat riêng; biên tập viên)", "Write a new draft (private chat; editors)"),
    "cmd.cancel": ("Bỏ bài đang soạn", "Drop the draft in progress"),
    "cmd.web": ("Trang quản lý: liên kết đăng nhập (chat riêng)", "Dashboard: a sign-in link (private chat)"),
    "cmd.mycalendar": ("Lịch riêng (ICS, chat riêng): /lichcanhan — lấy liên kết; /lichcanhan moi — liên kết mới, "
                       "liên kết cũ ngừng; /lichcanhan huy — tắt",
                       "Your own calendar (ICS, private chat): /mycalendar — the link; /mycalendar new — a new link, "
                       "the old one stops; /mycalendar off — turn it off"),
    "cmd.report": ("Báo cáo so với kế hoạch (tệp Excel): /baocao [từ DD/MM] [đến DD/MM]",
                   "Report against the plan (Excel file): /report [from DD/MM] [to DD/MM]"),
    # what a command takes after its name, for the usage line
    "cmd.shares": ("Thống kê chia sẻ theo đơn vị và bài", "Shares by unit and post"),
    "cmd.shared": ("Báo đã chia sẻ: /dachiase ID đơn-vị", "Report a share: /shared ID unit"),
    "args.page": ("[trang]", "[page]"),
    "args.id_unit": ("ID đơn-vị", "ID unit"),
    "args.date_page": ("[DD/MM [trang]]", "[DD/MM [page]]"),
    "args.id": ("ID", "ID"),
    "args.ids": ("ID…", "ID…"),
    "args.id_reason": ("ID lý do", "ID reason"),
    "args.reason": ("lý do", "reason"),
    "args.calendar": ("[moi|huy]", "[new|off]"),
    "args.report": ("[DD/MM] [DD/MM]", "[DD/MM] [DD/MM]"),
    "cmd.usage": ("Cách dùng: {call} — {what}", "Usage: {call} — {what}"),
}
