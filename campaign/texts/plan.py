"""The plan view's approval placeholder and warnings (``campaign.plan``, printed by ``loa plan`` and ``loa check``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "plan.pending": ("chờ duyệt", "pending"),
    "plan.empty_slot": ("trống", "empty"),
    "plan.series_short": ("chuyên mục '{series}' có {items} bài cho {slots} khung giờ; khung trống đầu tiên: {first} "
                          "(thêm bài vào {folder}/)",
                          "series '{series}' has {items} item(s) for {slots} slot(s); first empty slot: {first} "
                          "(add items to {folder}/)"),
    "plan.series_no_slots": ("chuyên mục '{series}' không có khung giờ nào trong các mốc của nó ('{when}')",
                             "series '{series}' has no slot within its milestones ('{when}')"),
    "plan.daily_gap": ("mốc '{milestone}' (đăng hằng ngày): ngày {day} chưa có bài nào trên kênh công khai",
                       "milestone '{milestone}' (daily): no post on a public channel on {day}"),
    "plan.outside": ("ngoài mọi mốc", "outside every milestone"),
    "plan.deadline_passed": ("đã quá hạn duyệt", "approval deadline passed"),
    "plan.same_minute": ("cùng kênh {channel} cùng phút với {first} ({n} bài)",
                         "same channel {channel} in the same minute as {first} ({n} posts)"),
    "plan.quota": ("vượt hạn mức phát Zalo OA: bài thứ {nth} trong {period} (tối đa {quota})",
                   "over the Zalo OA broadcast quota: broadcast #{nth} in {period} (limit {quota})"),
    "plan.day": ("ngày", "day"),
    "plan.month": ("tháng", "month"),
    "plan.crowded": ("{n} bài cùng kênh {channel} cùng phút {at}: {names}",
                     "{n} posts on channel {channel} in the same minute {at}: {names}"),
}
