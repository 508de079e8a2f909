#!/usr/bin/env python3
"""
>>> s1 = socket(AF_INET6, SOCK_STREAM)
>>> s1.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, True)
>>> s1.bind(('', 0x0, 0, 1))
>>> s1.getsockname(),
('::', 60000, 0, 1),
"""
