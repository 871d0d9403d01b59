"""What ``loa run``, ``loa status`` and ``loa simulate`` print on the console.

Console lines interleave the languages word group by word group ("Loa đang chạy / running: …"),
so these entries are the groups, joined with ``inline``.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # loa status
    "run.pid_running": ("đang chạy", "running"),
    "run.nobody": ("không có loa run nào", "no loa run is running"),
    "run.nobody_connected": ("không có loa run nào", "no loa run is connected"),
    "run.since": ("từ", "since"),
    "run.no_leader": ("không có tiến trình dẫn đầu", "no leader"),
    # start-up
    "run.oa_needs_store": ("Zalo OA cần kho dữ liệu", "Zalo OA needs the store"),
    "run.env_missing": ("biến môi trường {name} chưa đặt (hoặc chạy --offline)",
                        "environment variable {name} is not set (or run with --offline)"),
    "run.running": ("Loa đang chạy", "running"),
    "run.changes": ("thay đổi", "changes"),
    "run.errors": ("lỗi", "errors"),
    "run.ctrl_c": ("Ctrl-C để dừng", "to stop"),
    "run.stopping": ("Đang dừng", "stopping"),
    # one leader
    "run.leads": ("Tiến trình này dẫn đầu", "this process leads"),
    "run.standby": ("Dự phòng", "standby"),
    "run.waiting": ("một tiến trình khác đang dẫn đầu, chờ tiếp quản", "another process leads; waiting to take over"),
    "run.lead_lost": ("Dừng: mất quyền dẫn đầu, không gửi thêm", "stopping: leadership lost, no new sends"),
    "run.standby_takes_over": ("một tiến trình dự phòng sẽ tiếp quản", "a standby takes over"),
    "run.store_lost": ("Dừng: không ghi được kết quả gửi vào cơ sở dữ liệu", "stopping: could not record sends in the database"),
    "run.restart_resolves": ("Khởi động lại sẽ xử lý", "the restart resolves"),
    # watching content/
    "run.resync_failed": ("Đồng bộ lại thất bại", "resync failed"),
    "run.resynced": ("Đồng bộ lại", "resynced"),
    # a part of the service ended
    "run.ended_unexpectedly": ("dừng bất ngờ", "ended unexpectedly"),
    "run.part_ended": ("Loa dừng vì {name} ngừng chạy", "Loa stopped because the {name} stopped"),
    # loa simulate
    "sim.simulating": ("Chạy thử", "simulating"),
    "sim.summary": ("Tổng kết", "summary"),
    "sim.published": ("bài đã đăng", "published"),
    "sim.held": ("bị giữ", "held"),
    "sim.missed": ("lỡ giờ", "missed"),
    "sim.scheduled": ("chưa đến giờ", "still scheduled"),
    "sim.sent": ("tin đã gửi", "messages sent"),
    "sim.failed": ("lỗi", "failed"),
}
