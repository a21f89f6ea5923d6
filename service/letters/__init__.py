"""letters"""
