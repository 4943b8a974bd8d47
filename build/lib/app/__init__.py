"""Xiangzhi (乡治): Party building and village governance backend."""
