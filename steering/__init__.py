"""Steering: KPIs computed from the traces, live and after the fact (supervisors, team leaders, advisors)."""
