"""Registries and their registers (ทะเบียน): running numbers, the entries of a year, CSV and the printed register."""
