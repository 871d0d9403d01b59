"""The labels of the choices a message offers (shown as buttons on Telegram)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "choice.approve": ("✅ Duyệt", "Approve"),
    "choice.reject": ("❌ Từ chối", "Reject"),
    "choice.diff": ("🔍 Thay đổi gì?", "What changed"),
    "choice.resend": ("🔁 Gửi lại", "Resend"),
    "choice.went_out": ("✅ Đã lên", "It went out"),
    "choice.shared": ("✅ Đã chia sẻ", "I shared it"),
    "choice.hint": ("Trả lời", "Reply"),
}
