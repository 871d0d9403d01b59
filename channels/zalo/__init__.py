"""Zalo: the Official Account channels and the Zalo Bot channel.

``http`` the OA API client, endpoints and error mapping (and public media URLs, shared with the
bot); ``tokens`` the OA token pair and the consent flow; ``oa`` the OA and its two channel kinds
(``zalo_oa_group``, ``zalo_oa_broadcast``); ``bot`` the Zalo Bot Platform client and channel
(``zalo_bot``).
"""
