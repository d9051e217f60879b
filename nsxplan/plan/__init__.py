"""Pure planning: (Config, LiveState) -> Plan, and the plan file format.

model.py holds the Plan data; planner.py decides the actions; planfile.py reads and writes plans.
"""
