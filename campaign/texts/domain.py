"""Messages of the domain rules: times, reviews, operations, sign-in, sync."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # approvals
    "approvals.rejected": ("bị từ chối", "rejected"),
    "approvals.approved": ("đã duyệt", "approved"),
    "approvals.pending": ("chờ duyệt", "pending"),
    # review
    "review.no_post": ("không có bài '{ref}'", "no post '{ref}'"),
    "review.not_allowed": ("Xin lỗi, bạn không có quyền thực hiện việc này.", "Sorry, you are not allowed to do this."),
    "review.admins_only": ("Xin lỗi, chỉ quản trị viên mới làm được việc này.", "Sorry, only admins can do this."),
    "review.stale": ("Bài đã thay đổi sau yêu cầu này; hãy xem yêu cầu mới.",
                     "The post changed after this request; see the new request."),
    "review.no_review": ("Bài đang ở trạng thái '{status}', không cần duyệt.", "The post is '{status}' and needs no review."),
    "review.self_approve": ("Tác giả không thể tự duyệt bài của mình.", "Authors cannot approve their own posts."),
    "review.reason_needed": ("Cần lý do từ chối.", "A reason is required to reject."),
    "review.already": ("Bạn đã quyết định bài này rồi.", "You already decided on this post."),
    "review.not_rejected": ("Bài không bị từ chối.", "The post is not rejected."),
    "review.new_post": ("Bài mới, chưa có bản trước.", "A new post: there is no earlier version."),
    "review.before": ("trước", "before"),
    "review.after": ("sau", "after"),
    "review.no_diff": ("Không có khác biệt về nội dung.", "No difference in content."),
    # operations
    "operations.no_delivery": ("không có lượt gửi #{id}", "no delivery #{id}"),
    "operations.nothing_unknown": ("không còn lượt gửi nào chưa rõ của #{id} (đã xử lý)",
                                   "nothing unknown is left for #{id} (already handled)"),
    "operations.wrong_state": ("lượt gửi #{id} đang '{status}', {action} cần {allowed}",
                               "delivery #{id} is '{status}', {action} needs {allowed}"),
    "operations.not_published": ("bài #{id} chưa đăng ({status})", "post #{id} is not published ({status})"),
    "operations.no_change": ("bài #{id} không có thay đổi sau khi đăng", "post #{id} has no change since publishing"),
    # sign-in
    "signin.forged": ("Liên kết đăng nhập không hợp lệ.", "This sign-in link is not valid."),
    "signin.expired": ("Liên kết đăng nhập đã hết hạn (10 phút); gửi /web cho bot để lấy liên kết mới.",
                       "This sign-in link has expired (10 minutes); send /web to the bot for a new one."),
    "signin.used": ("Liên kết đăng nhập này đã được dùng; gửi /web cho bot để lấy liên kết mới.",
                    "This sign-in link was already used; send /web to the bot for a new one."),
    "signin.not_staff": ("Bạn không còn trong danh sách cán bộ.", "You are no longer on the staff list."),
    # times
    "time.not_clock": ("không phải giờ HH:MM", "is not a HH:MM time"),
    "time.no_offset": ("dùng giờ địa phương, không kèm múi giờ", "use local time without an offset"),
    "time.unknown_anchor": ("mốc neo '{name}' chưa khai báo trong [anchors] (đã có: {known})", "unknown anchor '{name}' (known: {known})"),
    "time.anchor_days": ("độ lệch của mốc neo phải là số ngày", "anchor shifts are whole days"),
    "time.end_before_start": ("'end' phải sau 'start'", "'end' must be after 'start'"),
    "time.needs_milestone": ("'{s}' cần một mốc (milestone) hoặc giờ tuyệt đối \"YYYY-MM-DD HH:MM\"",
                             "'{s}' needs a milestone or an absolute \"YYYY-MM-DD HH:MM\""),
    "time.milestone_days": ("mốc chỉ có {days} ngày", "the milestone has {days} day(s)"),
    "time.bad_time": ("thời gian '{s}' không hợp lệ", "invalid time '{s}'"),
    "time.bad_date": ("ngày không hợp lệ '{s}'", "invalid date '{s}'"),
    "time.bad_date_form": ("ngày '{s}' không hợp lệ", "invalid date '{s}'"),
    "time.allowed": ("Cho phép", "allowed"),
    # config defaults
    "config.retraction_notice": ("Tin này đã được thu hồi.", "This post has been withdrawn."),
    # sync / content scan
    "content.no_folder": ("thư mục nội dung không tồn tại", "content folder does not exist"),
    "content.cannot_read": ("không đọc được", "cannot read"),
}
